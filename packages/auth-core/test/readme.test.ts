import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, freePort, harnessEnv, type TestDatabase } from '@prospectflow/test-harness';
import { connectRedis, keysWithPrefix } from './support.js';

// The README's quick starts, run as written: its code blocks are extracted, the server is started with tsx
// against the real database and Redis, called with a token from the README's own dev-token script, and every
// block is type-checked (the frontend one against the DOM and bundled for the browser).

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
let scratch: string;
let db: TestDatabase;
let redis: Redis;
let server: ChildProcess | null = null;
let serverOutput = '';

async function codeBlock(name: string): Promise<string> {
  const readme = await readFile(path.join(packageDir, 'README.md'), 'utf8');
  const marker = readme.indexOf(`<!-- readme-test: ${name} -->`);
  const start = readme.indexOf('```ts\n', marker) + '```ts\n'.length;
  if (marker < 0 || start < marker) throw new Error(`README has no code block marked ${name}`);
  return readme.slice(start, readme.indexOf('\n```', start) + 1);
}

async function link(name: string, target?: string): Promise<void> {
  const at = path.join(scratch, 'node_modules', name);
  await mkdir(path.dirname(at), { recursive: true });
  await symlink(target ?? (await realpath(path.join(packageDir, 'node_modules', name))), at, 'dir');
}

beforeAll(async () => {
  [db, redis] = await Promise.all([
    createTestDatabase(),
    connectRedis(harnessEnv().redisUrl) as Promise<Redis>,
  ]);
  scratch = await mkdtemp(path.join(os.tmpdir(), 'auth-core-readme-'));
  await writeFile(
    path.join(scratch, 'package.json'),
    JSON.stringify({ name: 'readme', type: 'module', private: true }),
  );
  await link('@prospectflow/auth-core', packageDir);
  for (const name of ['express', 'pg', 'tsx', 'typescript', '@types/express', '@types/node', '@types/pg']) {
    await link(name);
  }
  for (const name of ['server', 'dev-token', 'frontend']) {
    await writeFile(path.join(scratch, `${name}.ts`), await codeBlock(name));
  }
});

afterAll(async () => {
  const running = server;
  if (running !== null && running.exitCode === null && running.signalCode === null) {
    // SIGTERM lets tsx pass the signal on to the child process that runs the server.
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  redis.disconnect();
  await rm(scratch, { recursive: true, force: true });
  await db.drop();
});

const tsx = () => path.join(scratch, 'node_modules', 'tsx', 'dist', 'cli.mjs');

describe('README quick start', () => {
  it('serves /me, scopes, refuses and logs out exactly as the README shows', async () => {
    const { stdout: token } = await run(process.execPath, [tsx(), 'dev-token.ts'], { cwd: scratch });
    expect(token.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

    const port = await freePort();
    server = spawn(process.execPath, [tsx(), 'server.ts'], {
      cwd: scratch,
      env: {
        PATH: process.env['PATH'] ?? '',
        DATABASE_URL: db.appUrl,
        REDIS_URL: harnessEnv().redisUrl,
        COGNITO_USER_POOL_ID: 'eu-west-3_LocalDev1',
        COGNITO_CLIENT_ID: 'local-dev',
        COGNITO_JWKS_FILE: '.data/dev-jwks.json',
        PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    server.stderr?.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 20_000;
    while (!serverOutput.includes('listening')) {
      if (Date.now() > deadline || server.exitCode !== null)
        throw new Error(`server did not start:\n${serverOutput}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const call = (method: string, route: string) =>
      fetch(`${base}${route}`, { method, headers: { Authorization: `Bearer ${token.trim()}` } });

    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
    const me = await call('GET', '/api/v1/me');
    expect(me.status).toBe(200);
    const view = (await me.json()) as { user: { id: string; email: string; firstName: string } };
    expect(view.user).toMatchObject({ email: 'dev@example.com', firstName: 'Dev' });

    const scoped = await call('GET', '/api/v1/whoami');
    expect(scoped.status).toBe(403);
    expect(scoped.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await scoped.json()).toMatchObject({ code: 'no_organisation' });

    expect((await call('POST', '/api/v1/auth/logout')).status).toBe(204);
    const replay = await call('GET', '/api/v1/me');
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ code: 'token_revoked' });

    const originJti = (
      JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { origin_jti: string }
    ).origin_jti;
    for (const key of [
      ...(await keysWithPrefix(redis, `prospectflow:auth:*${originJti}`)),
      ...(await keysWithPrefix(redis, `prospectflow:auth:*${view.user.id}`)),
    ]) {
      await redis.del(key);
    }
  });

  it('type-checks every code block, the frontend one against the DOM', async () => {
    const compilerOptions = {
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      target: 'ES2022',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
    };
    await writeFile(
      path.join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { ...compilerOptions, types: ['node'] },
        files: ['server.ts', 'dev-token.ts'],
      }),
    );
    await writeFile(
      path.join(scratch, 'tsconfig.frontend.json'),
      JSON.stringify({
        compilerOptions: { ...compilerOptions, lib: ['ES2022', 'DOM'], types: [] },
        files: ['frontend.ts'],
      }),
    );
    const tsc = path.join(scratch, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const project of ['tsconfig.json', 'tsconfig.frontend.json']) {
      const result = await run(process.execPath, [tsc, '-p', path.join(scratch, project)]).catch(
        (error: { stdout: string }) => error,
      );
      expect(result.stdout, project).toBe('');
    }
  });

  it('bundles the frontend block for the browser with the types entry alone', async () => {
    const result = await build({
      absWorkingDir: scratch,
      entryPoints: [path.join(scratch, 'frontend.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toHaveLength(2);
    expect(inputs.some((input) => input.endsWith('auth-core/src/types.ts'))).toBe(true);
  });
});
