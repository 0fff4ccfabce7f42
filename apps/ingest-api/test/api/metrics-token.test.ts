import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/app.js';

const TOKEN = 'metrics-token-of-this-test-0123456789';
let api: TestApi;
let server: http.Server;

/** GET /metrics with these Authorization headers, each on its own line, in this order. */
function metrics(authorization: readonly string[]): Promise<number> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    if (authorization.length > 0) req.setHeader('Authorization', [...authorization]);
    req.end();
  });
}

beforeAll(async () => {
  api = await startTestApi({ METRICS_TOKEN: TOKEN });
  server = api.service.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await api.close();
});

describe('GET /metrics with METRICS_TOKEN', () => {
  it('needs the token, and refuses a request with more than one Authorization header in any order', async () => {
    expect(await metrics([])).toBe(401);
    expect(await metrics(['Bearer wrong'])).toBe(401);
    expect(await metrics([`Bearer ${TOKEN}`])).toBe(200);
    expect(await metrics([`Bearer ${TOKEN}`, 'Bearer forged'])).toBe(400);
    expect(await metrics(['Bearer forged', `Bearer ${TOKEN}`])).toBe(400);
  });
});
