import type { Auth } from '@prospectflow/auth-core';
import type { Cluster, Redis } from 'ioredis';
import type { Pool } from 'pg';
export type CheckStatus = 'up' | 'down';
export type OverallStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface HealthCheck {
  name: string;
  /** A critical check that is down makes the instance unhealthy (503); others only degrade it. */
  critical: boolean;
  /** Resolves when the dependency answers; rejects (or never settles) when it does not. */
  run: () => Promise<unknown>;
}

/** What readiness asks: the database through the pool, the session store, the signing keys, and Redis. */
export function dependencyChecks(deps: {
  pool: Pick<Pool, 'query'>;
  auth: Pick<Auth, 'ping' | 'jwksReady'>;
  redis: Pick<Redis | Cluster, 'ping'> | null;
}): HealthCheck[] {
  const { pool, auth, redis } = deps;
  const checks: HealthCheck[] = [
    { name: 'database', critical: true, run: () => pool.query('SELECT 1') },
    { name: 'sessionStore', critical: true, run: () => auth.ping() },
    {
      name: 'jwks',
      critical: true,
      run: async () => {
        if (!auth.jwksReady()) throw new Error('signing keys are not cached yet');
      },
    },
  ];
  if (redis) checks.push({ name: 'redis', critical: true, run: () => redis.ping() });
  return checks;
}

export interface CheckResult {
  status: CheckStatus;
  latencyMs: number;
  critical: boolean;
  error?: string;
}

export interface ReadinessReport {
  status: OverallStatus;
  checks: Record<string, CheckResult>;
}

class CheckTimeout extends Error {
  override readonly name = 'CheckTimeout';
}

async function timeBoxed(check: HealthCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.run(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new CheckTimeout(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'up', latencyMs: Math.round(performance.now() - started), critical: check.critical };
  } catch (error) {
    return {
      status: 'down',
      latencyMs: Math.round(performance.now() - started),
      critical: check.critical,
      // The error's class and message describe the dependency (refused, timed out), never request data.
      error: error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 200) : 'failed',
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs every check in parallel, each time-boxed. Unhealthy when a critical check is down, degraded when a
 * non-critical one is down or any check is slower than `slowMs`, healthy otherwise.
 */
export async function readiness(
  checks: readonly HealthCheck[],
  options: { timeoutMs: number; slowMs: number },
): Promise<ReadinessReport> {
  const results = await Promise.all(checks.map((check) => timeBoxed(check, options.timeoutMs)));
  const report: Record<string, CheckResult> = {};
  checks.forEach((check, index) => {
    report[check.name] = results[index] as CheckResult;
  });
  const status: OverallStatus = results.some((result) => result.critical && result.status === 'down')
    ? 'unhealthy'
    : results.some((result) => result.status === 'down' || result.latencyMs > options.slowMs)
      ? 'degraded'
      : 'healthy';
  return { status, checks: report };
}
