import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime.js';
import { startTestApi, type TestApi } from '../support/app.js';

let api: TestApi;
let second: Runtime;

beforeAll(async () => {
  api = await startTestApi({ RATE_LIMIT_DEFAULT_PER_WINDOW: '5', RATE_LIMIT_WINDOW_SECONDS: '60' });
  second = await api.another();
});
afterAll(async () => {
  await api.close();
});

describe('rate limits', () => {
  it('hold across two instances sharing one Redis, with Retry-After and RateLimit headers', async () => {
    const bearer = { Authorization: `Bearer ${api.token('limited@example.test')}` };
    const [first, other] = [api.service.app, second.app];
    for (let i = 0; i < 5; i += 1) {
      const res = await request(i % 2 === 0 ? first : other)
        .get('/api/v1/me')
        .set(bearer)
        .expect(200);
      expect(res.headers['ratelimit-limit']).toBe('5');
      expect(res.headers['ratelimit-remaining']).toBe(String(4 - i));
    }
    const limited = await request(other).get('/api/v1/me').set(bearer).expect(429);
    expect(limited.headers['content-type']).toMatch(/problem\+json/);
    expect(limited.body.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    await request(first).get('/api/v1/me').set(bearer).expect(429);

    // Another user has a budget of their own.
    await request(first)
      .get('/api/v1/me')
      .set({ Authorization: `Bearer ${api.token('other@example.test')}` })
      .expect(200);
    // The refusals are counted.
    const metrics = await request(other).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/rate_limit_rejections_total\{group="default"\} 1/);
  });

  it('takes the client IP from X-Forwarded-For only through the configured number of proxies', async () => {
    const prefix = `pfrl${randomUUID().slice(0, 6)}:`;
    const behindProxy = await api.another({
      TRUST_PROXY_HOPS: '1',
      RATE_LIMIT_PUBLIC_PER_WINDOW: '3',
      REDIS_KEY_PREFIX: `${prefix}a:`,
    });
    const direct = await api.another({
      TRUST_PROXY_HOPS: '0',
      RATE_LIMIT_PUBLIC_PER_WINDOW: '3',
      REDIS_KEY_PREFIX: `${prefix}b:`,
    });

    for (let i = 0; i < 3; i += 1) {
      await request(behindProxy.app).get('/health/live').set('X-Forwarded-For', '203.0.113.7').expect(200);
    }
    await request(behindProxy.app).get('/health/live').set('X-Forwarded-For', '203.0.113.7').expect(429);
    await request(behindProxy.app).get('/health/live').set('X-Forwarded-For', '203.0.113.8').expect(200);

    // Without a trusted proxy the header is ignored: changing it does not buy a new budget.
    for (let i = 0; i < 3; i += 1) {
      await request(direct.app).get('/health/live').set('X-Forwarded-For', `198.51.100.${i}`).expect(200);
    }
    await request(direct.app).get('/health/live').set('X-Forwarded-For', '198.51.100.99').expect(429);
  });
});
