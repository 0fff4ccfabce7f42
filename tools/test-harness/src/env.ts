/**
 * The environment contract between the harness process (which provisions services) and test files (which
 * consume them). Test files read these through `harnessEnv()` only.
 */
export const HARNESS_ENV = {
  adminUrl: 'PF_TEST_ADMIN_URL',
  ownerRole: 'PF_TEST_OWNER_ROLE',
  templateDb: 'PF_TEST_TEMPLATE_DB',
  runId: 'PF_TEST_RUN_ID',
  pgbouncerPort: 'PF_TEST_PGBOUNCER_PORT',
  appPassword: 'PF_TEST_APP_PASSWORD',
  readonlyPassword: 'PF_TEST_READONLY_PASSWORD',
  pgbouncerAdminPassword: 'PF_TEST_PGBOUNCER_ADMIN_PASSWORD',
  redisUrl: 'PF_TEST_REDIS_URL',
  runtimeDir: 'PF_TEST_RUNTIME_DIR',
} as const;

export interface HarnessEnv {
  adminUrl: string;
  ownerRole: string;
  templateDb: string;
  runId: string;
  pgbouncerPort: number;
  appPassword: string;
  readonlyPassword: string;
  pgbouncerAdminPassword: string;
  redisUrl: string;
  runtimeDir: string;
}

export function harnessEnv(): HarnessEnv {
  const read = (name: string): string => {
    const value = process.env[name];
    if (!value) {
      throw new Error(
        `${name} is not set: integration tests need the harness. Run them with \`npm test\` (or ` +
          '`pnpm exec tsx tools/test-harness/src/cli.ts -- <vitest args>`), which provisions PostgreSQL, Redis and pgBouncer.',
      );
    }
    return value;
  };
  return {
    adminUrl: read(HARNESS_ENV.adminUrl),
    ownerRole: read(HARNESS_ENV.ownerRole),
    templateDb: read(HARNESS_ENV.templateDb),
    runId: read(HARNESS_ENV.runId),
    pgbouncerPort: Number(read(HARNESS_ENV.pgbouncerPort)),
    appPassword: read(HARNESS_ENV.appPassword),
    readonlyPassword: read(HARNESS_ENV.readonlyPassword),
    pgbouncerAdminPassword: read(HARNESS_ENV.pgbouncerAdminPassword),
    redisUrl: read(HARNESS_ENV.redisUrl),
    runtimeDir: read(HARNESS_ENV.runtimeDir),
  };
}

/** Replaces user, password and database of a connection URL. */
export function withCredentials(
  baseUrl: string,
  parts: { user?: string; password?: string; database?: string; port?: number; host?: string },
): string {
  const url = new URL(baseUrl);
  if (parts.user !== undefined) url.username = encodeURIComponent(parts.user);
  if (parts.password !== undefined) url.password = encodeURIComponent(parts.password);
  if (parts.database !== undefined) url.pathname = `/${encodeURIComponent(parts.database)}`;
  if (parts.port !== undefined) url.port = String(parts.port);
  if (parts.host !== undefined) url.hostname = parts.host;
  return url.toString();
}
