import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  startTestPgBouncer,
  withCredentials,
  type PgBouncerInstance,
  type TestDatabase,
} from '@prospectflow/test-harness';
import { startTestApi, type TestApi } from '../support/app.js';
import { eventually } from '../support/eventually.js';
import { Load, countBy, expectCleanOutcomes, outcomeOf, type Outcome } from '../support/load.js';
import { createOrganisation, type TestOrganisation } from '../support/organisation.js';

// The database path broken under load: PostgreSQL backends killed in the middle of transactions
// (pg_terminate_backend) and a private pgBouncer restarted while requests run through it. A client that
// retries its 503s with the same Idempotency-Key must end with every batch stored exactly once, and no
// transaction may ever see a tenant setting left behind by another one on the same connection.

let db: TestDatabase;
let bouncer: PgBouncerInstance;
let api: TestApi;
let admin: pg.Client;
let acme: TestOrganisation;
let globex: TestOrganisation;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The codes a request may end with while the database path is broken. */
const FAULT_CODES = ['database_unavailable', 'idempotency_in_progress'];

interface Batch {
  org: TestOrganisation;
  key: string;
  domains: string[];
}
const batch = (org: TestOrganisation, label: string, size: number): Batch => ({
  org,
  key: `key-${label}`,
  domains: Array.from({ length: size }, (_, i) => `${label}-r${i}.fr`),
});
const recordsOf = (b: Batch) =>
  b.domains.map((domain) => ({ company: { domain, name: `Société ${domain}` } }));
const send = (b: Batch) =>
  request(api.service.app)
    .post('/api/v1/ingest')
    .set(b.org.as('member'))
    .set('Idempotency-Key', b.key)
    .send({ records: recordsOf(b) });

/**
 * A well-behaved client: sends the batch, and after a 503 (or a 409 while its first attempt is still held)
 * sends it again with the same key, until it is acknowledged. Every answer goes into `outcomes`.
 */
async function sendUntilAcknowledged(b: Batch, outcomes: Outcome[], deadlineMs = 20_000) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const res = await send(b);
    outcomes.push(outcomeOf(res, b.key));
    if (res.status === 200) return res;
    if (res.status !== 503 && res.status !== 409) return res;
    if (Date.now() > deadline) throw new Error(`batch ${b.key} still refused: ${res.text}`);
    await sleep(100);
  }
}

const storedDomains = async (organisationId: string) =>
  (
    await admin.query<{ domain: string }>(
      'SELECT domain FROM crm.companies WHERE organisation_id = $1 ORDER BY domain',
      [organisationId],
    )
  ).rows.map((row) => row.domain);
const auditedInserts = async (organisationId: string) =>
  Number(
    (
      await admin.query(
        `SELECT count(*) FROM audit.audit_log
          WHERE organisation_id = $1 AND table_name = 'companies' AND operation = 'INSERT'`,
        [organisationId],
      )
    ).rows[0].count,
  );
/** Kills every backend the application holds in this database, whatever it is doing. */
async function terminateAppBackends(where = 'true'): Promise<number> {
  // Chosen first, then killed: in one WHERE clause nothing fixes the order in which the conditions run.
  const { rows } = await admin.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND usename = 'prospectflow_app' AND ${where}`,
    [db.name],
  );
  await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [
    rows.map((row) => row.pid),
  ]);
  return rows.length;
}

/**
 * Asks the API's own pool, outside any transaction, which organisation its connection carries. Through
 * pgBouncer each such query runs on whichever server connection is free, right after other transactions.
 */
async function probeTenantSetting(): Promise<string | null> {
  try {
    const { rows } = await api.service.pool.query<{ org: string | null }>(
      "SELECT current_setting('app.organisation_id', true) AS org",
    );
    return rows[0]?.org ?? '';
  } catch {
    // The database path is down: nothing was seen.
    return null;
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  // Two server connections for everything: each is reused by many transactions of both tenants.
  bouncer = await startTestPgBouncer({ poolSize: 2 });
  api = await startTestApi(
    {
      DATABASE_URL: withCredentials(db.appUrl, { port: bouncer.port }),
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
      DATABASE_POOL_MAX: '6',
      RATE_LIMIT_PUBLIC_PER_WINDOW: '1000000',
      RATE_LIMIT_DEFAULT_PER_WINDOW: '1000000',
      RATE_LIMIT_INGEST_PER_WINDOW: '1000000',
    },
    { database: db },
  );
  admin = new pg.Client({ connectionString: db.adminUrl });
  await admin.connect();
  [acme, globex] = [await createOrganisation(api, 'acme'), await createOrganisation(api, 'globex')];
});
afterAll(async () => {
  await admin?.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
  await admin?.end();
  await api?.close();
  await bouncer?.stop();
  await db?.drop();
});

describe('a PostgreSQL backend killed in the middle of a transaction', () => {
  it('answers 503 to the requests it held; their retries store each batch once; no setting survives', async () => {
    // Hold acme's merge lock: acme's ingest transactions begin, set the tenant, and wait on it.
    await admin.query('SELECT pg_advisory_lock(7301, hashtext($1))', [acme.id]);
    const held = [
      batch(acme, 'acme-held-a', 3),
      batch(acme, 'acme-held-b', 3),
      batch(acme, 'acme-held-c', 3),
    ];
    const first = held.map((b) => send(b).then((res) => outcomeOf(res, b.key)));
    await eventually(async () => {
      const { rows } = await admin.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = $1 AND usename = 'prospectflow_app' AND wait_event_type = 'Lock'
            AND state = 'active' AND xact_start IS NOT NULL`,
        [db.name],
      );
      expect(rows[0].n).toBe(held.length);
    });
    expect(await terminateAppBackends("wait_event_type = 'Lock'")).toBe(held.length);
    const answers = await Promise.all(first);
    await admin.query('SELECT pg_advisory_unlock(7301, hashtext($1))', [acme.id]);

    expectCleanOutcomes(answers, { statuses: [503], codes: ['database_unavailable'] });
    // The next connections carry nothing of the killed transactions.
    const seen = await Promise.all(Array.from({ length: 12 }, () => probeTenantSetting()));
    expect(seen.filter((org) => org !== '')).toEqual([]);
    // Globex, on the same pool and the same two server connections, sees only its own (empty) CRM.
    const other = await request(api.service.app)
      .get('/api/v1/companies')
      .set(globex.as('viewer'))
      .expect(200);
    expect(other.body.items).toEqual([]);

    // The retries with the same keys run (the keys were given back) and store each batch once.
    const retried: Outcome[] = [];
    for (const b of held) {
      const res = await sendUntilAcknowledged(b, retried);
      expect(res.status).toBe(200);
      expect(res.headers['idempotency-replayed']).toBeUndefined();
      expect(res.body.totals).toMatchObject({ created: 3 });
    }
    expect(retried.map((o) => o.status)).toEqual([200, 200, 200]);
    const again = await send(held[0] as Batch).expect(200);
    expect(again.headers['idempotency-replayed']).toBe('true');
    const expected = held.flatMap((b) => b.domains).sort();
    expect(await storedDomains(acme.id)).toEqual(expected);
    expect(await auditedInserts(acme.id)).toBe(expected.length);
  });
});

describe('pgBouncer restarted and backends killed under load', () => {
  it(
    'in-flight requests fail with 503 or succeed, every batch is stored exactly once, no foreign row and no leftover setting',
    { timeout: 90_000 },
    async () => {
      const tenants = { acme, globex };
      const sent: Batch[] = [];
      const outcomes: Outcome[] = [];
      let faulting = true;
      const clients = Array.from({ length: 6 }, async (_, c) => {
        const [label, org] = c % 2 === 0 ? (['acme', acme] as const) : (['globex', globex] as const);
        for (let n = 0; faulting || n < 3; n += 1) {
          const b = batch(org, `${label}-c${c}-b${n}`, 4);
          sent.push(b);
          const res = await sendUntilAcknowledged(b, outcomes);
          expect(res.status, res.text).toBe(200);
        }
      });
      // Readers: every list answered shows only the reader's own organisation's companies.
      const foreign: string[] = [];
      const readers = new Load(2, async (worker) => {
        const [label, org] = worker === 0 ? (['acme', acme] as const) : (['globex', globex] as const);
        const res = await request(api.service.app).get('/api/v1/companies?limit=50').set(org.as('viewer'));
        if (res.status === 200) {
          for (const item of res.body.items as { domain: string }[])
            if (!item.domain.startsWith(`${label}-`)) foreign.push(`${label} saw ${item.domain}`);
        }
        return outcomeOf(res, 'list');
      });
      const settings: string[] = [];
      const probes = new Load(1, async () => {
        const org = await probeTenantSetting();
        if (org) settings.push(org);
        return { status: 200 };
      });

      await sleep(400);
      await bouncer.restart();
      await sleep(400);
      const killed = await terminateAppBackends();
      await sleep(400);
      await bouncer.restart();
      await sleep(300);
      const killedAgain = await terminateAppBackends("state = 'active'");
      await sleep(400);
      faulting = false;
      await Promise.all(clients);
      const lists = await readers.stop();
      await probes.stop();

      expectCleanOutcomes([...outcomes, ...lists], { statuses: [200, 503, 409], codes: FAULT_CODES });
      // The faults did hit requests in flight (otherwise this proves nothing).
      expect(countBy(outcomes, 503) + countBy(lists, 503)).toBeGreaterThan(0);
      expect(killed + killedAgain).toBeGreaterThan(0);
      expect(foreign).toEqual([]);
      expect(settings).toEqual([]);

      // Exactly what was acknowledged is stored: nothing lost, nothing twice.
      for (const [label, org] of Object.entries(tenants)) {
        const expected = sent
          .filter((b) => b.org === org)
          .flatMap((b) => b.domains)
          .sort();
        expect(expected.length).toBeGreaterThan(0);
        const stored = await storedDomains(org.id);
        expect(stored.filter((domain) => domain.startsWith(`${label}-c`))).toEqual(expected);
        expect(await auditedInserts(org.id)).toBe(stored.length);
      }
      // And the API is whole again: readiness and a plain request, without restarting anything.
      await request(api.service.app).get('/health/ready').expect(200);
      await request(api.service.app).get('/api/v1/companies').set(acme.as('viewer')).expect(200);
    },
  );
});
