import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from './logger.js';

export interface RequestLoggerOptions {
  logger: Logger;
  /** Fields of the request for its line (request id, user, organisation), read when the request has ended. */
  fields: (req: Request) => Record<string, unknown>;
}

type Level = 'info' | 'warn' | 'error';

/**
 * One line per finished request: `info` for a success, `warn` for a 4xx, `error` for a 5xx or a failed
 * response, with the method, the path without its query, the status and the time taken. Nothing is built for a
 * line the logger's level drops, so at `warn` a successful request costs two listeners and a clock read.
 * (pino-http, used before, made two child loggers per request, serialising the request into them, before it
 * knew whether a line would be written.)
 */
export function requestLogger(options: RequestLoggerOptions): RequestHandler {
  const { logger, fields } = options;
  return (req: Request, res: Response, next) => {
    const startedAt = Date.now();
    // The path as it arrived: routers mounted on a prefix rewrite req.url while they run.
    const url = req.originalUrl;
    let done = false;
    const onEnd = (error?: unknown) => {
      if (done) return;
      done = true;
      res.off('finish', onEnd);
      res.off('close', onEnd);
      res.off('error', onEnd);
      const failed = error instanceof Error || res.statusCode >= 500;
      const level: Level = failed ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const line = {
        ...fields(req),
        req: { method: req.method, url: url.split('?')[0] },
        res: { statusCode: res.statusCode },
        responseTime: Date.now() - startedAt,
      };
      if (!failed) {
        logger[level](line, 'request completed');
        return;
      }
      const err = error instanceof Error ? error : new Error(`failed with status code ${res.statusCode}`);
      logger.error({ ...line, err }, 'request errored');
    };
    res.on('finish', onEnd);
    res.on('close', onEnd);
    res.on('error', onEnd);
    next();
  };
}
