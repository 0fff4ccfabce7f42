import type { RequestHandler } from 'express';
import type { PixelRecorder } from './recorder.js';

/** The classic transparent 1x1 GIF89a: 43 bytes. */
export const PIXEL_GIF = Buffer.from(
  '47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b',
  'hex',
);

// The same headers for every answer: nothing tells a valid token from an unknown or malformed one. No ETag
// (a validator would let a cache revalidate instead of fetching, and would be a per-response value), no cookie.
const HEADERS = {
  'Content-Type': 'image/gif',
  'Content-Length': String(PIXEL_GIF.length),
  'Cache-Control': 'no-store, no-cache, must-revalidate, max-age=0',
  Pragma: 'no-cache',
  Expires: '0',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

const PREFIX = '/t/';
const SUFFIX = '.gif';

/**
 * `GET /t/<token>.gif`, mounted right after the request id and before logging, helmet, CORS and the per-IP
 * limiter (mail proxies share a few addresses). It hands the open to the recorder, which never waits for the
 * database, and answers the same 43 bytes whatever the token. Anything else under /t/ gets the same answer.
 */
export function pixelRoute(recorder: PixelRecorder): RequestHandler {
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !req.path.startsWith(PREFIX)) {
      next();
      return;
    }
    const file = req.path.slice(PREFIX.length);
    const token = file.endsWith(SUFFIX) ? file.slice(0, -SUFFIX.length) : '';
    if (req.method === 'GET')
      recorder.record(token, req.ip ?? req.socket.remoteAddress ?? '', req.get('user-agent'));
    // The request id is per request; the pixel's answer must not vary.
    res.removeHeader('X-Request-Id');
    res.writeHead(200, HEADERS);
    res.end(req.method === 'HEAD' ? undefined : PIXEL_GIF);
  };
}
