import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own augmentation point
  namespace Express {
    interface Request {
      /** Accepted from X-Request-Id when sane, otherwise generated; echoed on every response. */
      requestId: string;
    }
  }
}

export function requestId(): RequestHandler {
  return (req, res, next) => {
    const offered = req.get('x-request-id');
    req.requestId = offered !== undefined && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
    res.setHeader('X-Request-Id', req.requestId);
    next();
  };
}
