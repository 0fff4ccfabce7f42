import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { startServer, type RunningServer } from '../server.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.js';
import { LOCAL_CLIENT_ID, LOCAL_USER_POOL_ID, devToken, localIssuer } from './local-keys.js';

const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));
const log = (line: string) => process.stdout.write(`[prospectflow] ${line}\n`);

/**
 * `npm start`: the API with nothing else installed. Missing DATABASE_URL → an embedded PostgreSQL; missing
 * REDIS_URL → the in-process session and rate-limit stores; missing Cognito settings → the local token
 * issuer. Whatever is given is used instead.
 */
async function main(): Promise<void> {
  // The process boundary of the dev runner: it reads the environment once and hands the server a complete one.
  const environment: Record<string, string | undefined> = { ...process.env };
  const dataDir = path.join(repoRoot, '.data');
  let database: EmbeddedDatabase | null = null;

  if (!environment['DATABASE_URL']) {
    database = await startEmbeddedPostgres({
      dataDir,
      port: Number(environment['EMBEDDED_POSTGRES_PORT'] ?? 54329),
      log,
    });
    environment['DATABASE_URL'] = database.appUrl;
    environment['DATABASE_MIGRATION_URL'] = database.ownerUrl;
    log(
      'database: embedded PostgreSQL (data in .data/postgres), migrated; the API connects as prospectflow_app',
    );
  } else {
    log('database: DATABASE_URL from the environment');
  }
  log(
    environment['REDIS_URL']
      ? 'sessions and rate limits: Redis at REDIS_URL'
      : 'sessions and rate limits: in-process (set REDIS_URL for Redis)',
  );

  let issuer: Awaited<ReturnType<typeof localIssuer>>['issuer'] | null = null;
  if (!environment['COGNITO_USER_POOL_ID']) {
    const local = await localIssuer(dataDir);
    issuer = local.issuer;
    environment['COGNITO_USER_POOL_ID'] = LOCAL_USER_POOL_ID;
    environment['COGNITO_CLIENT_ID'] = LOCAL_CLIENT_ID;
    environment['COGNITO_JWKS_FILE'] = local.jwksFile;
    log(
      'tokens: local development issuer (keys in .data/dev-keys); mint more with `pnpm dev:token you@example.com`',
    );
  } else {
    log('tokens: Cognito user pool from COGNITO_USER_POOL_ID');
  }
  environment['HOST'] ??= '127.0.0.1';
  environment['PORT'] ??= '3000';
  environment['LOG_LEVEL'] ??= 'warn';
  // One command runs everything: the import worker lives in the API process here.
  environment['WORKER_IN_PROCESS'] ??= 'true';

  let running: RunningServer;
  try {
    running = await startServer(environment);
  } catch (error) {
    await database?.stop();
    throw error;
  }
  const stop = async (signal: string) => {
    try {
      await running.shutdown(signal);
    } finally {
      await database?.stop();
    }
    process.exit(0);
  };
  // embedded-postgres installs an exit hook of its own when it is imported: on SIGINT or SIGTERM it stops every
  // database it started, at once and beside the drain, so requests in flight and the pools' clients were cut
  // (57P01, "idle database client lost its connection") and the process could exit before the drain was done.
  // This runner owns the process: one shutdown, the API drained and closed first, then the database (stopped
  // even when the drain fails). A Ctrl-C in a terminal still reaches PostgreSQL itself as well (it runs in the
  // same process group and the library offers no way to detach it), which then shuts down fast on its own.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  log(`API:  ${running.url}/api/v1`);
  log(`Docs: ${running.url}/docs`);
  if (issuer) {
    const email = environment['DEV_EMAIL'] ?? 'dev@prospectflow.local';
    log(`Try it (a dev token for ${email}, valid 12 hours):`);
    process.stdout.write(
      `\ncurl -s -H "Authorization: Bearer ${devToken(issuer, email)}" ${running.url}/api/v1/me\n\n`,
    );
  }
  log('Ctrl-C stops the API and the embedded database.');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[prospectflow] could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
