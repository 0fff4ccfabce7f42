import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import pg from 'pg';
import { Redis } from 'ioredis';

export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Checks that PostgreSQL answers as a superuser; fails with a message that says what to start. */
export async function findPostgres(adminUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ version: string; superuser: boolean }>(
      "SELECT current_setting('server_version') AS version, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser",
    );
    const row = rows[0];
    if (!row?.superuser) {
      throw new Error(
        `${redact(adminUrl)} is not a superuser connection; the harness needs one to create roles and databases`,
      );
    }
    return row.version;
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${redact(adminUrl)}: ${(error as Error).message}\n` +
        'Start PostgreSQL 15+ on 127.0.0.1:5432 (trust or password auth for a superuser), or point PF_TEST_ADMIN_URL at one.',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function findRedis(redisUrl: string): Promise<string> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 3000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const info = await redis.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } catch (error) {
    throw new Error(
      `Redis is not reachable at ${redisUrl}: ${(error as Error).message}\n` +
        'Start Redis 7 on 127.0.0.1:6379, or point PF_TEST_REDIS_URL at one.',
    );
  } finally {
    redis.disconnect();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/**
 * Resolves once something listens on 127.0.0.1:port; rejects if the child exits first (with the end of its
 * output) or the time is up.
 */
export function waitForPort(
  port: number,
  options: { name: string; child: ChildProcess; output: () => Promise<string> | string; timeoutMs?: number },
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (options.child.exitCode !== null) {
        void Promise.resolve(options.output()).then((output) =>
          reject(
            new Error(`${options.name} exited with code ${options.child.exitCode}:\n${output.slice(-2000)}`),
          ),
        );
        return;
      }
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline)
          reject(new Error(`${options.name} did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}
