import { z } from 'zod';

const csv = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);
const integer = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(fallback);
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1');
const postgresUrl = z
  .string()
  .url()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must be a postgres:// or postgresql:// URL');
const redisUrl = z
  .string()
  .url()
  .refine((value) => /^rediss?:\/\//.test(value), 'must be a redis:// or rediss:// URL');

const variablesSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: integer(3000, 0, 65535),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  DATABASE_URL: postgresUrl,
  DATABASE_POOL_MAX: integer(10, 1, 500),
  DATABASE_CONNECT_TIMEOUT_MS: integer(5000, 100),
  DATABASE_STATEMENT_TIMEOUT_MS: integer(15000, 0),

  REDIS_URL: redisUrl.optional(),
  REDIS_CLUSTER: bool(false),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{0,32}$/)
    .default('pf:'),

  COGNITO_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-3')
    .default('eu-west-3'),
  COGNITO_USER_POOL_ID: csv.pipe(
    z
      .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d_[A-Za-z0-9]+$/, 'must look like eu-west-3_AbCdEf123'))
      .min(1, 'is required'),
  ),
  COGNITO_CLIENT_ID: csv.pipe(z.array(z.string().min(1)).min(1, 'is required (comma list allowed)')),
  COGNITO_TOKEN_USE: z.enum(['id', 'access', 'any']).default('any'),
  COGNITO_REQUIRED_GROUPS: csv.optional(),
  COGNITO_GRACE_SECONDS: integer(0, 0, 300),
  COGNITO_JWKS_FILE: z.string().min(1).optional(),

  SESSION_IDLE_TTL_SECONDS: integer(1800, 60),
  SESSION_ABSOLUTE_TTL_SECONDS: integer(12 * 3600, 300),

  CORS_ORIGINS: csv.pipe(z.array(z.string().url().or(z.literal('*')))).default([]),
  TRUST_PROXY_HOPS: integer(0, 0, 10),
  BODY_LIMIT_BYTES: integer(1024 * 1024, 1024, 64 * 1024 * 1024),
  INGEST_MAX_RECORDS: integer(1000, 1, 100_000),
  INGEST_BODY_LIMIT_BYTES: integer(8 * 1024 * 1024, 1024, 256 * 1024 * 1024),

  RATE_LIMIT_WINDOW_SECONDS: integer(60, 1, 3600),
  RATE_LIMIT_PUBLIC_PER_WINDOW: integer(600, 1),
  RATE_LIMIT_DEFAULT_PER_WINDOW: integer(300, 1),
  RATE_LIMIT_INGEST_PER_WINDOW: integer(60, 1),
  RATE_LIMIT_IMPORTS_PER_WINDOW: integer(20, 1),

  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  HEALTH_CHECK_TIMEOUT_MS: integer(1000, 50, 30_000),
  HEALTH_SLOW_MS: integer(250, 1),
  SHUTDOWN_TIMEOUT_MS: integer(10_000, 0, 120_000),

  OUTREACH_ENROL_MAX_PER_CALL: integer(1000, 1, 100_000),
  TRACKING_VISITOR_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  TRACKING_BUFFER_MAX: integer(10_000, 1, 1_000_000),
  TRACKING_FLUSH_BATCH_MAX: integer(1000, 1, 10_000),
  TRACKING_FLUSH_INTERVAL_MS: integer(1000, 10, 60_000),
  TRACKING_SCANNER_WINDOW_SECONDS: integer(10, 0, 3600),

  IMPORT_MAX_BYTES: integer(512 * 1024 * 1024, 1024, 16 * 1024 * 1024 * 1024),
  IMPORT_MAX_UNCOMPRESSED_BYTES: integer(1024 * 1024 * 1024, 1024, 32 * 1024 * 1024 * 1024),
  IMPORT_MAX_CELLS: integer(100_000_000, 1, 2_000_000_000),
  IMPORT_MAX_COLUMNS: integer(200, 1, 16_384),
  IMPORT_RETENTION_HOURS: integer(72, 1, 24 * 90),
  IMPORT_REVERT_WINDOW_DAYS: integer(30, 0, 3650),
  IMPORT_CAMPAIGN_WINDOW_DAYS: integer(90, 0, 3650),
  IMPORT_COMMIT_TIMEOUT_MS: integer(30 * 60 * 1000, 1000, 24 * 3600 * 1000),
  WORKER_IN_PROCESS: bool(false),
  WORKER_POOL_MAX: integer(4, 1, 100),
  WORKER_POLL_INTERVAL_MS: integer(250, 10, 60_000),
  WORKER_LEASE_SECONDS: integer(30, 2, 3600),
  WORKER_HEARTBEAT_FILE: z.string().min(1).optional(),
});

/** Every environment variable the API reads (the README's configuration table lists each one). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(variablesSchema.shape);

const environmentSchema = variablesSchema.superRefine((env, ctx) => {
  if (env.NODE_ENV !== 'production') return;
  if (!env.REDIS_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['REDIS_URL'],
      message: 'is required in production (sessions and rate limits are shared through Redis)',
    });
  }
  if (env.COGNITO_JWKS_FILE) {
    ctx.addIssue({
      code: 'custom',
      path: ['COGNITO_JWKS_FILE'],
      message: 'is refused in production: keys come from the Cognito user pool',
    });
  }
  if (!env.TRACKING_VISITOR_SECRET) {
    ctx.addIssue({
      code: 'custom',
      path: ['TRACKING_VISITOR_SECRET'],
      message: 'is required in production (every instance must derive the same visitor keys)',
    });
  }
  if (env.CORS_ORIGINS.includes('*')) {
    ctx.addIssue({ code: 'custom', path: ['CORS_ORIGINS'], message: 'cannot be * in production' });
  }
});

export type RateLimitGroup = 'public' | 'default' | 'ingest' | 'imports';

export interface AppConfig {
  readonly env: 'development' | 'test' | 'production';
  readonly host: string;
  readonly port: number;
  readonly logLevel: string;
  readonly database: {
    readonly url: string;
    readonly poolMax: number;
    readonly connectTimeoutMs: number;
    readonly statementTimeoutMs: number;
  };
  readonly redis: { readonly url: string | null; readonly cluster: boolean; readonly keyPrefix: string };
  readonly cognito: {
    readonly region: string;
    readonly userPoolIds: readonly string[];
    readonly clientIds: readonly string[];
    readonly tokenUse: 'id' | 'access' | null;
    readonly requiredGroups: readonly string[] | null;
    readonly graceSeconds: number;
    readonly jwksFile: string | null;
  };
  readonly session: { readonly idleTtlSeconds: number; readonly absoluteTtlSeconds: number };
  readonly http: {
    readonly corsOrigins: readonly string[];
    readonly trustProxyHops: number;
    readonly bodyLimitBytes: number;
  };
  readonly rateLimits: {
    readonly windowSeconds: number;
    readonly perWindow: Readonly<Record<RateLimitGroup, number>>;
  };
  readonly ingest: { readonly maxRecords: number; readonly bodyLimitBytes: number };
  readonly metricsToken: string | null;
  readonly health: { readonly timeoutMs: number; readonly slowMs: number };
  readonly shutdownTimeoutMs: number;
  readonly outreach: { readonly enrolMaxPerCall: number };
  readonly imports: {
    readonly maxBytes: number;
    readonly maxUncompressedBytes: number;
    readonly maxCells: number;
    readonly maxColumns: number;
    readonly retentionSeconds: number;
    readonly revertWindowDays: number;
    readonly campaignWindowDays: number;
    readonly commitTimeoutMs: number;
  };
  readonly worker: {
    /** Run a worker inside the API process (`npm start`); production runs `worker.js` on its own. */
    readonly inProcess: boolean;
    readonly poolMax: number;
    readonly pollIntervalMs: number;
    readonly leaseSeconds: number;
    /** A file the worker touches while it can reach its queue; a container health check reads its age. */
    readonly heartbeatFile: string | null;
  };
  readonly tracking: {
    /** Keys the visitor hash; null outside production means a random secret per process. */
    readonly visitorSecret: string | null;
    readonly bufferMax: number;
    readonly flushBatchMax: number;
    readonly flushIntervalMs: number;
    readonly scannerWindowSeconds: number;
  };
}

/** Raised at start when the environment is invalid; names every problem at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Parses the environment once into a frozen, typed configuration.
 *
 * @throws {ConfigError} listing every missing or invalid setting by name.
 */
export function loadConfig(source: Readonly<Record<string, string | undefined>>): AppConfig {
  // An empty variable means "not set": shells and compose files often export VAR= for optional settings.
  const cleaned = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = environmentSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.') || '(environment)';
        const message =
          issue.code === 'invalid_type' && cleaned[name] === undefined ? 'is required' : issue.message;
        return `${name} ${message}`;
      }),
    );
  }
  const env = parsed.data;
  return deepFreeze({
    env: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    database: {
      url: env.DATABASE_URL,
      poolMax: env.DATABASE_POOL_MAX,
      connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
    },
    redis: { url: env.REDIS_URL ?? null, cluster: env.REDIS_CLUSTER, keyPrefix: env.REDIS_KEY_PREFIX },
    cognito: {
      region: env.COGNITO_REGION,
      userPoolIds: env.COGNITO_USER_POOL_ID,
      clientIds: env.COGNITO_CLIENT_ID,
      tokenUse: env.COGNITO_TOKEN_USE === 'any' ? null : env.COGNITO_TOKEN_USE,
      requiredGroups:
        env.COGNITO_REQUIRED_GROUPS && env.COGNITO_REQUIRED_GROUPS.length > 0
          ? env.COGNITO_REQUIRED_GROUPS
          : null,
      graceSeconds: env.COGNITO_GRACE_SECONDS,
      jwksFile: env.COGNITO_JWKS_FILE ?? null,
    },
    session: {
      idleTtlSeconds: env.SESSION_IDLE_TTL_SECONDS,
      absoluteTtlSeconds: env.SESSION_ABSOLUTE_TTL_SECONDS,
    },
    http: {
      corsOrigins: env.CORS_ORIGINS,
      trustProxyHops: env.TRUST_PROXY_HOPS,
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
    },
    rateLimits: {
      windowSeconds: env.RATE_LIMIT_WINDOW_SECONDS,
      perWindow: {
        public: env.RATE_LIMIT_PUBLIC_PER_WINDOW,
        default: env.RATE_LIMIT_DEFAULT_PER_WINDOW,
        ingest: env.RATE_LIMIT_INGEST_PER_WINDOW,
        imports: env.RATE_LIMIT_IMPORTS_PER_WINDOW,
      },
    },
    ingest: { maxRecords: env.INGEST_MAX_RECORDS, bodyLimitBytes: env.INGEST_BODY_LIMIT_BYTES },
    metricsToken: env.METRICS_TOKEN ?? null,
    health: { timeoutMs: env.HEALTH_CHECK_TIMEOUT_MS, slowMs: env.HEALTH_SLOW_MS },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    outreach: { enrolMaxPerCall: env.OUTREACH_ENROL_MAX_PER_CALL },
    imports: {
      maxBytes: env.IMPORT_MAX_BYTES,
      maxUncompressedBytes: env.IMPORT_MAX_UNCOMPRESSED_BYTES,
      maxCells: env.IMPORT_MAX_CELLS,
      maxColumns: env.IMPORT_MAX_COLUMNS,
      retentionSeconds: env.IMPORT_RETENTION_HOURS * 3600,
      revertWindowDays: env.IMPORT_REVERT_WINDOW_DAYS,
      campaignWindowDays: env.IMPORT_CAMPAIGN_WINDOW_DAYS,
      commitTimeoutMs: env.IMPORT_COMMIT_TIMEOUT_MS,
    },
    worker: {
      inProcess: env.WORKER_IN_PROCESS,
      poolMax: env.WORKER_POOL_MAX,
      pollIntervalMs: env.WORKER_POLL_INTERVAL_MS,
      leaseSeconds: env.WORKER_LEASE_SECONDS,
      heartbeatFile: env.WORKER_HEARTBEAT_FILE ?? null,
    },
    tracking: {
      visitorSecret: env.TRACKING_VISITOR_SECRET ?? null,
      bufferMax: env.TRACKING_BUFFER_MAX,
      flushBatchMax: env.TRACKING_FLUSH_BATCH_MAX,
      flushIntervalMs: env.TRACKING_FLUSH_INTERVAL_MS,
      scannerWindowSeconds: env.TRACKING_SCANNER_WINDOW_SECONDS,
    },
  });
}
