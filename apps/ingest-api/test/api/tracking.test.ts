import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { withAdmin } from '@prospectflow/test-harness';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIXEL_GIF } from '../../src/components/tracking/pixel.js';
import { startTestApi, type TestApi } from '../support/app.js';
import { createPeople, organisationWith, type TestUser } from './campaigns-fixtures.js';

let api: TestApi;
let server: http.Server;
let port: number;
/** The same app listening without the front door: the pixel as mounted inside Express. */
let expressServer: http.Server;
let expressPort: number;
let org: string;
let member: TestUser;
let people: { personId: string; positionId: string }[];
let nextPerson = 0;

const api1 = () => request(api.service.app);
const takePeople = (n: number) => people.slice(nextPerson, (nextPerson += n));

interface RawResponse {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

/** One request over a fresh connection, answered as raw status, header lines (in order) and bytes. */
function raw(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
  target = port,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: target, path, method, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const pairs: [string, string][] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2)
            pairs.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
          resolve({ status: res.statusCode ?? 0, headers: pairs, body: Buffer.concat(chunks) });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
const withoutDate = (response: RawResponse) => ({
  ...response,
  headers: response.headers.filter(([name]) => name.toLowerCase() !== 'date'),
});

async function query<T = Record<string, unknown>>(sql: string, values: unknown[] = []): Promise<T[]> {
  return withAdmin(api.db.adminUrl, async (admin) => (await admin.query(sql, values)).rows as T[]);
}

/** A campaign with one enrolled person and one message sent `sentAgoMs` ago; answers ids and the pixel path. */
async function sentMessage(
  sentAgoMs = 3_600_000,
): Promise<{ campaignId: string; messageId: string; path: string; token: string }> {
  const campaignId = (
    await api1().post('/api/v1/campaigns').set(member.auth).send({ name: 'Pixel' }).expect(201)
  ).body.id as string;
  const [person] = takePeople(1);
  await api1()
    .post(`/api/v1/campaigns/${campaignId}/enrolments`)
    .set(member.auth)
    .send({ people: [{ personId: person!.personId }] })
    .expect(200);
  const enrolment = (
    await api1().get(`/api/v1/campaigns/${campaignId}/enrolments`).set(member.auth).expect(200)
  ).body.items[0];
  const message = (
    await api1()
      .post(`/api/v1/campaigns/${campaignId}/enrolments/${enrolment.id}/messages`)
      .set(member.auth)
      .send({ subject: 'Hello', sentAt: new Date(Date.now() - sentAgoMs).toISOString() })
      .expect(201)
  ).body;
  return { campaignId, messageId: message.id, path: message.pixel.path, token: message.pixel.token };
}

async function openStats(messageId: string) {
  const [row] = await query<{
    total_opens: number;
    unique_opens: number;
    human_opens: number;
    human_unique_opens: number;
  }>(
    'SELECT total_opens, unique_opens, human_opens, human_unique_opens FROM tracking.message_open_stats WHERE message_id = $1',
    [messageId],
  );
  return row ?? null;
}

const HUMAN_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/141.0 Safari/537.36';

beforeAll(async () => {
  // One proxy hop trusted, so that X-Forwarded-For stands for distinct readers; a long flush interval, so that
  // the test decides when the recorder writes.
  api = await startTestApi({
    TRACKING_VISITOR_SECRET: 'test-visitor-secret-0123456789abcdef',
    TRUST_PROXY_HOPS: '1',
    TRACKING_FLUSH_INTERVAL_MS: '60000',
    TRACKING_FLUSH_BATCH_MAX: '200',
  });
  const created = await organisationWith(api, 'Pixel Org', 'pixel-owner@example.test', {
    'pixel-member@example.test': 'member',
  });
  org = created.id;
  member = created.users['pixel-member@example.test']!;
  people = await createPeople(api, org, 40);
  server = http.createServer(api.service.handler).listen(0, '127.0.0.1');
  expressServer = api.service.app.listen(0, '127.0.0.1');
  await Promise.all(
    [server, expressServer].map((s) => new Promise((resolve) => s.once('listening', resolve))),
  );
  port = (server.address() as AddressInfo).port;
  expressPort = (expressServer.address() as AddressInfo).port;
});
afterAll(async () => {
  await Promise.all([server, expressServer].map((s) => new Promise((resolve) => s.close(resolve))));
  await api.close();
});

describe('GET /t/:token.gif', () => {
  it('answers the same bytes, status and headers for valid, unknown, malformed and deleted tokens', async () => {
    const valid = await sentMessage();
    const deleted = await sentMessage();
    await withAdmin(api.db.adminUrl, (admin) =>
      admin.query('DELETE FROM outreach.messages WHERE id = $1', [deleted.messageId]),
    );
    const unknown = `/t/${org.replace(/-/g, '')}${'0'.repeat(32)}.gif`;
    const paths = [
      valid.path,
      unknown,
      deleted.path,
      '/t/not-a-token.gif',
      `/t/${'f'.repeat(64)}.gif`,
      '/t/%00.gif',
      '/t/',
      `/t/${valid.token}`,
    ];
    const responses = [];
    // Through the server's front door and through the route mounted inside Express: the same answer.
    for (const target of [port, expressPort]) {
      for (const path of paths)
        responses.push(withoutDate(await raw(path, { 'User-Agent': HUMAN_AGENT }, 'GET', target)));
    }
    const reference = responses[0]!;
    expect(reference.status).toBe(200);
    expect(reference.body.equals(PIXEL_GIF)).toBe(true);
    expect(reference.body.length).toBe(43);
    const names = reference.headers.map(([name]) => name.toLowerCase());
    expect(names).not.toContain('set-cookie');
    expect(names).not.toContain('etag');
    expect(names).not.toContain('x-request-id');
    expect(Object.fromEntries(reference.headers)).toMatchObject({
      'Content-Type': 'image/gif',
      'Content-Length': '43',
      'Cache-Control': expect.stringContaining('no-store'),
    });
    for (const [index, response] of responses.entries()) {
      const path = `${paths[index % paths.length]} (${index < paths.length ? 'front door' : 'express'})`;
      expect({ path, status: response.status, headers: response.headers }).toEqual({
        path,
        status: reference.status,
        headers: reference.headers,
      });
      expect(response.body.equals(reference.body), path).toBe(true);
    }
    // The same again with a request id offered and a cookie sent: still nothing of either comes back.
    const decorated = withoutDate(
      await raw(unknown, { 'X-Request-Id': 'probe-1', Cookie: 'a=b', Origin: 'https://x.example' }),
    );
    expect(decorated.headers).toEqual(reference.headers);

    await api.service.pixelRecorder.flush();
    // Only the first path is a valid token in the pixel's form (asked once per entry); the rest stored nothing.
    expect(await openStats(valid.messageId)).toMatchObject({ total_opens: 2 });
    const [{ opens }] = await query<{ opens: number }>(
      `SELECT (SELECT count(*) FROM tracking.pixel_opens p JOIN tracking.pixels x ON x.message_id = p.message_id
                WHERE x.token <> $1)::integer AS opens`,
      [valid.token],
    ).then((rows) => rows as [{ opens: number }]);
    expect(opens).toBe(0);
  });

  it('is mounted before logging, helmet, CORS and the per-IP limiter: no headers of theirs, never a 429', async () => {
    const limited = await startTestApi({ RATE_LIMIT_PUBLIC_PER_WINDOW: '3' }, { database: api.db });
    try {
      for (let i = 0; i < 10; i += 1) {
        const res = await request(limited.service.app)
          .get('/t/anything.gif')
          .set('Origin', 'https://mail.example');
        expect(res.status).toBe(200);
        expect(res.headers['ratelimit-limit']).toBeUndefined();
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
        expect(res.headers['content-security-policy']).toBeUndefined();
      }
      // The limiter is there for everything else, and the ten pixel hits did not count against it.
      for (let i = 0; i < 3; i += 1) await request(limited.service.app).get('/health/live').expect(200);
      await request(limited.service.app).get('/health/live').expect(429);
    } finally {
      await limited.close();
    }
  });

  it('counts 1,000 concurrent hits from two instances through pgBouncer exactly: totals and unique visitors', async () => {
    const target = await sentMessage();
    const second = await api.another({
      TRUST_PROXY_HOPS: '1',
      TRACKING_FLUSH_INTERVAL_MS: '60000',
      TRACKING_FLUSH_BATCH_MAX: '50',
    });
    const secondServer = http.createServer(second.handler).listen(0, '127.0.0.1');
    await new Promise((resolve) => secondServer.once('listening', resolve));
    const secondPort = (secondServer.address() as AddressInfo).port;
    try {
      const visitors = 40;
      const hits = Array.from({ length: 1000 }, (_, i) => i);
      // Flush while hits arrive, so batches of both instances race in the database.
      const flushing = setInterval(() => {
        void api.service.pixelRecorder.flush();
        void second.pixelRecorder.flush();
      }, 20);
      const responses = await Promise.all(
        hits.map((i) =>
          raw(
            target.path,
            {
              'X-Forwarded-For': `198.51.100.${i % visitors}`,
              'User-Agent': `${HUMAN_AGENT} r${i % visitors}`,
            },
            'GET',
            // Every reader reaches both instances.
            Math.floor(i / visitors) % 2 === 0 ? port : secondPort,
          ),
        ),
      );
      clearInterval(flushing);
      expect(responses.every((r) => r.status === 200 && r.body.equals(PIXEL_GIF))).toBe(true);
      await Promise.all([api.service.pixelRecorder.flush(), second.pixelRecorder.flush()]);
      await api.service.pixelRecorder.flush();
      await second.pixelRecorder.flush();
      // Both instances have the same TRACKING_VISITOR_SECRET, so a reader is one visitor whichever answered.
      expect(await openStats(target.messageId)).toEqual({
        total_opens: 1000,
        unique_opens: visitors,
        human_opens: 1000,
        human_unique_opens: visitors,
      });
      const [buckets] = await query<{ opens: number; uniques: number }>(
        `SELECT sum(opens)::integer AS opens, sum(unique_opens)::integer AS uniques
           FROM tracking.campaign_open_buckets WHERE campaign_id = $1`,
        [target.campaignId],
      );
      expect(buckets).toEqual({ opens: 1000, uniques: visitors });
      const [pairs] = await query<{ n: number }>(
        'SELECT count(*)::integer AS n FROM tracking.pixel_opens WHERE message_id = $1',
        [target.messageId],
      );
      expect(pairs!.n).toBe(visitors);
      // Nothing of the address or agent is stored: visitor keys are 22 base64url characters.
      const keys = await query<{ visitor_hash: string }>(
        'SELECT visitor_hash FROM tracking.pixel_opens WHERE message_id = $1',
        [target.messageId],
      );
      expect(
        keys.every((k) => /^[A-Za-z0-9_-]{22}$/.test(k.visitor_hash) && !k.visitor_hash.includes('198')),
      ).toBe(true);
    } finally {
      await new Promise((resolve) => secondServer.close(resolve));
      await second.close();
    }
  });

  it('uses one visitor key per reader when instances share TRACKING_VISITOR_SECRET', async () => {
    const secret = 'a-shared-secret-of-at-least-32-characters';
    const one = await startTestApi(
      { TRUST_PROXY_HOPS: '1', TRACKING_VISITOR_SECRET: secret },
      { database: api.db },
    );
    const two = await one.another({ TRUST_PROXY_HOPS: '1', TRACKING_VISITOR_SECRET: secret });
    try {
      const target = await sentMessage();
      for (const app of [one.service.app, two.app, one.service.app]) {
        await request(app)
          .get(target.path)
          .set('X-Forwarded-For', '203.0.113.7')
          .set('User-Agent', HUMAN_AGENT)
          .expect(200);
      }
      await one.service.pixelRecorder.flush();
      await two.pixelRecorder.flush();
      expect(await openStats(target.messageId)).toMatchObject({ total_opens: 3, unique_opens: 1 });
    } finally {
      await one.close();
    }
  });

  it('classifies each open and keeps only the verdict', async () => {
    const target = await sentMessage();
    const agents: [string, string, string][] = [
      ['198.51.100.1', HUMAN_AGENT, 'human'],
      [
        '66.249.84.1',
        'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)',
        'google_image_proxy',
      ],
      ['104.28.1.1', 'Mozilla/5.0', 'apple_privacy_prefetch'],
      ['17.58.1.1', HUMAN_AGENT, 'apple_privacy_prefetch'],
      ['198.51.100.2', 'Barracuda Sentinel (EE)', 'security_scanner'],
      ['198.51.100.3', 'curl/8.5.0', 'unknown_bot'],
      ['198.51.100.4', '', 'unknown_bot'],
    ];
    for (const [ip, agent] of agents) {
      await api1().get(target.path).set('X-Forwarded-For', ip).set('User-Agent', agent).expect(200);
    }
    // An open seconds after sending is a scanner, whatever its agent says.
    const fresh = await sentMessage(1000);
    await api1()
      .get(fresh.path)
      .set('X-Forwarded-For', '198.51.100.9')
      .set('User-Agent', HUMAN_AGENT)
      .expect(200);
    await api.service.pixelRecorder.flush();

    const stats = async (campaignId: string) =>
      (await api1().get(`/api/v1/campaigns/${campaignId}/stats?tz=UTC`).set(member.auth).expect(200)).body
        .totals;
    const totals = await stats(target.campaignId);
    expect(totals.opensByVerdict).toEqual({
      human: 1,
      google_image_proxy: 1,
      apple_privacy_prefetch: 2,
      security_scanner: 1,
      unknown_bot: 2,
    });
    expect(totals).toMatchObject({ opens: 7, uniqueOpens: 7, likelyHumanUniqueOpens: 1 });
    expect((await stats(fresh.campaignId)).opensByVerdict).toMatchObject({ human: 0, security_scanner: 1 });
    // The columns hold counts and a keyed hash, never an address or agent.
    const columns = await query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'tracking'
        AND (column_name ILIKE '%ip%' OR column_name ILIKE '%agent%' OR column_name ILIKE '%address%')`,
    );
    expect(columns).toEqual([]);
  });

  it('drops and counts opens beyond the buffer, and still serves the GIF', async () => {
    const small = await startTestApi(
      { TRACKING_BUFFER_MAX: '5', TRACKING_FLUSH_INTERVAL_MS: '60000' },
      { database: api.db },
    );
    try {
      const target = await sentMessage();
      for (let i = 0; i < 12; i += 1) await request(small.service.app).get(target.path).expect(200);
      const metrics = (await request(small.service.app).get('/metrics').expect(200)).text;
      expect(metrics).toMatch(/tracking_pixel_opens_dropped_total\{reason="buffer_full"\} 7/);
      expect(metrics).toMatch(/tracking_pixel_buffer_opens 5/);
      await small.service.pixelRecorder.flush();
      expect(await openStats(target.messageId)).toMatchObject({ total_opens: 5 });
    } finally {
      await small.close();
    }
  });

  it('writes what it holds at shutdown', async () => {
    const target = await sentMessage();
    const instance = await api.another({ TRACKING_FLUSH_INTERVAL_MS: '60000' });
    for (let i = 0; i < 3; i += 1) await request(instance.app).get(target.path).expect(200);
    expect(instance.pixelRecorder.pending).toBe(3);
    await instance.close();
    expect(await openStats(target.messageId)).toMatchObject({ total_opens: 3 });
  });
});
