import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import pg from 'pg';
import { listCompanies, TABLES, toCompany, type Row } from '../../src/components/crm/crm.repository.js';
import { loadConfig } from '../../src/platform/config/config.js';
import { withScope } from '../../src/platform/db/index.js';
import { keysetClauses, keysetPage, keysetSortKey } from '../../src/platform/db/keyset.js';
import { encodeCursor } from '../../src/platform/http/cursor.js';
import { createLogger } from '../../src/platform/logger/logger.js';
import { buildRuntime } from '../../src/runtime.js';
import type { ServerSpec } from './server-process.js';

// One server per child process, so that the API and the baselines each have an event loop (and a CPU profile)
// of their own, and the load generator in the parent does not share theirs.

const COMPANY_ORDER = { sortColumn: 'c.created_at', idColumn: 'c.id', direction: 'desc' } as const;
const page = keysetClauses(COMPANY_ORDER, 1);
/**
 * crm.repository's company list, word for word, with the tenant predicate written out where row-level
 * security adds it for the API: a bare handler runs without RLS, and without the predicate it would read every
 * tenant's rows and could not use the (organisation_id, created_at, id) index.
 */
const BARE_LIST = `SELECT ${TABLES.company.select}, ${keysetSortKey(COMPANY_ORDER)}
       FROM crm.companies c
      WHERE c.organisation_id = $9
        AND ${page.predicate}
        AND ($3::text IS NULL OR c.siren = $3)
        AND ($4::text IS NULL OR c.naf_code = $4)
        AND ($5::text IS NULL OR c.domain_key = lower($5))
        AND ($6::text IS NULL OR crm.search_key(c.name) LIKE
             replace(replace(replace(crm.search_key($6), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%')
        AND ($7::timestamptz IS NULL OR c.updated_at >= $7)
      ORDER BY ${page.orderBy}
      LIMIT $8`;

function limitOf(query: unknown): number {
  const raw = (query as Record<string, unknown>)['limit'];
  const limit = typeof raw === 'string' ? Number(raw) : 50;
  return Number.isInteger(limit) && limit >= 1 && limit <= 200 ? limit : 50;
}

async function start(spec: ServerSpec): Promise<{ server: Server; close: () => Promise<void> }> {
  if (spec.kind === 'api') {
    const config = loadConfig(spec.environment);
    const service = buildRuntime(config, createLogger({ level: config.logLevel }));
    await service.ready;
    const server = service.app.listen(0, '127.0.0.1');
    return { server, close: () => service.close() };
  }
  const pool = new pg.Pool({ connectionString: spec.databaseUrl, max: spec.poolMax });
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  if (spec.kind === 'bare') {
    // No auth, no session, no RLS, no transaction: one statement on the pool as a BYPASSRLS role.
    app.get('/api/v1/companies', async (req, res) => {
      const limit = limitOf(req.query);
      const { rows } = await pool.query<Row & { keyset_sort_key: string }>(BARE_LIST, [
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        limit + 1,
        spec.organisationId,
      ]);
      const result = keysetPage(rows, limit, toCompany);
      res.json({ items: result.items, nextCursor: result.next ? encodeCursor(result.next) : null });
    });
  } else {
    // No auth and no session, but the API's database shape: the app role through pgBouncer, RLS, and the
    // tenant transaction of withScope around the repository's own query.
    const scope = {
      organisationId: spec.organisationId,
      userId: spec.userId,
      role: 'viewer' as const,
      correlationId: 'bench',
    };
    app.get('/api/v1/companies', async (req, res) => {
      const limit = limitOf(req.query);
      const result = await withScope(pool, scope, 15_000, (sql) => listCompanies(sql, { limit }, null));
      res.json({ items: result.items, nextCursor: result.next ? encodeCursor(result.next) : null });
    });
  }
  const server = app.listen(0, '127.0.0.1');
  return { server, close: () => pool.end() };
}

const spec = JSON.parse(process.env['PF_BENCH_SERVER'] ?? 'null') as ServerSpec | null;
if (spec === null || typeof process.send !== 'function') {
  throw new Error('server-child.ts is started by bench/lib/server-process.ts, not on its own');
}
const { server, close } = await start(spec);
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
process.send({ port: (server.address() as AddressInfo).port });
// A parent that dies without stopping its servers leaves nothing running behind it.
process.on('disconnect', () => process.exit(1));
process.on('message', (message) => {
  if (message !== 'stop') return;
  server.closeAllConnections();
  server.close(() => {
    void close().finally(() => process.exit(0));
  });
});
