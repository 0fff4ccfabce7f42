import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Express, RequestHandler } from 'express';
import proxyAddr from 'proxy-addr';
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

/** Answers a request if it is for the pixel (GET or HEAD under /t/); false if it is not. */
export type PixelHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * The pixel: `GET /t/<token>.gif` hands the open to the recorder, which never waits for the database, and
 * answers the same 43 bytes and headers whatever the token; anything else under /t/ gets the same answer.
 *
 * @param trustProxy Express's compiled `trust proxy` function, so the client address is the one `req.ip`
 *   would give (X-Forwarded-For only through the configured hops).
 */
export function createPixelHandler(
  recorder: PixelRecorder,
  trustProxy: (address: string, hop: number) => boolean,
): PixelHandler {
  return (req, res) => {
    const url = req.url ?? '';
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !url.startsWith(PREFIX)) return false;
    const query = url.indexOf('?');
    const file = url.slice(PREFIX.length, query === -1 ? undefined : query);
    const token = file.endsWith(SUFFIX) ? file.slice(0, -SUFFIX.length) : '';
    if (req.method === 'GET') recorder.record(token, proxyAddr(req, trustProxy), req.headers['user-agent']);
    // A request id, when a middleware set one, is per request; the pixel's answer must not vary.
    res.removeHeader('X-Request-Id');
    res.writeHead(200, HEADERS);
    res.end(req.method === 'HEAD' ? undefined : PIXEL_GIF);
    return true;
  };
}

/** The pixel inside the Express app, mounted right after the request id (before logging, helmet, CORS, limits). */
export function pixelRoute(handler: PixelHandler): RequestHandler {
  return (req, res, next) => {
    if (!handler(req, res)) next();
  };
}

/**
 * The server's request listener: the pixel answers before Express is entered at all, everything else goes to
 * the app. Express's own per-request setup costs about twice what the pixel itself does (doc/performance.md),
 * and the pixel needs none of it. Both entries run the same handler, so the answers are the same bytes.
 */
export function withPixelFrontDoor(app: Express, handler: PixelHandler): RequestListener {
  return (req, res) => {
    if (!handler(req, res)) app(req, res);
  };
}
