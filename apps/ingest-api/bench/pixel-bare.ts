// The baseline of the pixel benchmark: a bare Node HTTP server answering the same 43-byte GIF with the same
// headers, nothing else. Prints its port on stdout.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PIXEL_GIF } from '../src/components/tracking/pixel.js';

const headers = {
  'Content-Type': 'image/gif',
  'Content-Length': String(PIXEL_GIF.length),
  'Cache-Control': 'no-store, no-cache, must-revalidate, max-age=0',
  Pragma: 'no-cache',
  Expires: '0',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};
const server = http.createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(PIXEL_GIF);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
