// The real API for the pixel benchmark, in a process of its own: built like the tests build it (prospectflow_app
// through the harness's pgBouncer, real Redis), with one campaign, enrolment and sent message whose pixel the
// load generator hits. Prints {port, path, messageId} on stdout; SIGTERM closes it, which flushes the recorder.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import request from 'supertest';
import { createPeople, organisationWith } from '../test/api/campaigns-fixtures.js';
import { startTestApi } from '../test/support/app.js';

const api = await startTestApi({
  TRUST_PROXY_HOPS: '1',
  TRACKING_VISITOR_SECRET: 'bench-visitor-secret-0123456789abcdef',
});
const { id: org, users } = await organisationWith(api, 'Bench', 'bench-owner@example.test');
const auth = users['bench-owner@example.test']!.auth;
const [person] = await createPeople(api, org, 1);
const http = () => request(api.service.app);
const campaignId = (await http().post('/api/v1/campaigns').set(auth).send({ name: 'Bench' })).body
  .id as string;
await http()
  .post(`/api/v1/campaigns/${campaignId}/enrolments`)
  .set(auth)
  .send({ people: [{ personId: person!.personId }] });
const enrolmentId = (await http().get(`/api/v1/campaigns/${campaignId}/enrolments`).set(auth)).body.items[0]
  .id;
const message = (
  await http()
    .post(`/api/v1/campaigns/${campaignId}/enrolments/${enrolmentId}/messages`)
    .set(auth)
    .send({ subject: 'Bench', sentAt: new Date(Date.now() - 3_600_000).toISOString() })
).body;
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
// As server.ts listens: the pixel at the front door, then the app.
const server = createServer(api.service.handler).listen(0, '127.0.0.1', () => {
  const port = (server.address() as AddressInfo).port;
  process.stdout.write(
    `${JSON.stringify({ port, path: message.pixel.path, messageId: message.id, adminUrl: api.db.adminUrl })}\n`,
  );
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  loopDelay.disable();
  // close() flushes what the recorder holds; the database is kept so the parent can count, then dropped.
  void api.service.close().then(async () => {
    const metrics = (await http().get('/metrics')).text;
    const pixelLines = metrics.split('\n').filter((line) => line.startsWith('tracking_pixel_opens_'));
    const summary = {
      closed: true,
      counters: pixelLines,
      eventLoopDelayMs: {
        p50: loopDelay.percentile(50) / 1e6,
        p99: loopDelay.percentile(99) / 1e6,
        max: loopDelay.max / 1e6,
      },
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    await new Promise((resolve) => process.stdin.once('data', resolve));
    await api.db.drop();
    process.exit(0);
  });
});
