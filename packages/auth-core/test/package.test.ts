import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The package as a consumer gets it: `pnpm pack` (which builds it), the tarball unpacked into a scratch project
// whose dependencies are linked from this workspace, then imported from ESM and CJS in child processes,
// type-checked from TypeScript, and its `./types` entry bundled for the browser.

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
let scratch: string;
let installed: string;
let tarballFiles: string[];

async function link(name: string): Promise<void> {
  const target = await realpath(path.join(packageDir, 'node_modules', name));
  const at = path.join(scratch, 'node_modules', name);
  await mkdir(path.dirname(at), { recursive: true });
  await symlink(target, at, 'dir');
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'auth-core-pack-'));
  const packDir = path.join(scratch, 'pack');
  await mkdir(packDir);
  await run('pnpm', ['pack', '--pack-destination', packDir], {
    cwd: packageDir,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [tarball] = await readdir(packDir);
  const tarballPath = path.join(packDir, tarball ?? '');
  tarballFiles = (await run('tar', ['-tzf', tarballPath])).stdout.trim().split('\n');
  installed = path.join(scratch, 'node_modules', '@prospectflow', 'auth-core');
  await mkdir(installed, { recursive: true });
  await run('tar', ['-xzf', tarballPath, '-C', installed, '--strip-components=1']);
  await writeFile(path.join(scratch, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  for (const name of [
    'aws-jwt-verify',
    'ioredis',
    'express',
    '@types/express',
    '@types/node',
    'typescript',
  ]) {
    await link(name);
  }
}, 120_000);

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

// Mints a token with the local issuer and verifies it with createAuth(), all through the public entry points.
const smoke = (load: string) => `
${load}
const { writeFileSync, mkdtempSync } = require('node:fs');
const { join } = require('node:path');
const { tmpdir } = require('node:os');
(async () => {
  const issuer = localIssuer.LocalTokenIssuer.create({ environment: 'test', userPoolId: 'eu-west-3_Pack1', clientId: 'c' });
  const jwksFile = join(mkdtempSync(join(tmpdir(), 'jwks-')), 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(issuer.jwks()));
  const auth = core.createAuth({
    environment: 'test',
    userPools: [{ userPoolId: 'eu-west-3_Pack1', clientId: 'c', tokenUse: null, groups: null, jwksFile }],
    sessionStore: core.createMemorySessionStore(),
    idleTimeoutSeconds: null,
    absoluteLifetimeSeconds: 3600,
    database: { query: async () => ({ rows: [] }) },
    profileResolver: null,
    logger: null,
  });
  await auth.hydrate();
  const verified = await auth.verifyToken(issuer.mintIdToken({ sub: 'pack-user', email: 'p@example.test' }));
  let refused = null;
  try { await auth.verifyToken('a.b.c'); } catch (error) { refused = error instanceof core.AuthError && error.code; }
  console.log(JSON.stringify({
    sub: verified.sub,
    refused,
    hasRole: types.hasRole('owner', 'admin'),
    sameRoles: types.ROLES.join() === core.ROLES.join(),
    exports: Object.keys(core).length,
  }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

const expected = { sub: 'pack-user', refused: 'malformed_token', hasRole: true, sameRoles: true };

describe('the packed package', () => {
  it('ships the build and the README only, with types first in every export condition', async () => {
    expect(
      tarballFiles.every(
        (file) =>
          file === 'package/package.json' || file === 'package/README.md' || file.startsWith('package/dist/'),
      ),
    ).toBe(true);
    expect(tarballFiles).toContain('package/README.md');
    const manifest = JSON.parse(await readFile(path.join(installed, 'package.json'), 'utf8')) as {
      exports: Record<string, string | Record<string, Record<string, string>>>;
    };
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (subpath === './package.json') continue;
      expect(typeof target).toBe('object');
      for (const condition of ['import', 'require']) {
        const entry = (target as Record<string, Record<string, string>>)[condition] ?? {};
        expect(Object.keys(entry)).toEqual(['types', 'default']);
        expect(entry['default']).toMatch(/^\.\/dist\//);
      }
    }
  });

  it('imports from ESM', async () => {
    const script = smoke(`
      const { createRequire } = await import('node:module');
      const require = createRequire(import.meta.url);
      const core = await import('@prospectflow/auth-core');
      const types = await import('@prospectflow/auth-core/types');
      const localIssuer = await import('@prospectflow/auth-core/local-issuer');
    `);
    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '-e', `(async () => {${script}})()`],
      {
        cwd: scratch,
      },
    );
    expect(JSON.parse(stdout)).toMatchObject(expected);
  });

  it('requires from CommonJS', async () => {
    const script = smoke(`
      const core = require('@prospectflow/auth-core');
      const types = require('@prospectflow/auth-core/types');
      const localIssuer = require('@prospectflow/auth-core/local-issuer');
    `);
    const { stdout } = await run(process.execPath, ['--input-type=commonjs', '-e', script], { cwd: scratch });
    expect(JSON.parse(stdout)).toMatchObject(expected);
  });

  it('type-checks a consumer, with req.auth typed through the Express augmentation', async () => {
    const consumer = `
      import express, { type Request } from 'express';
      import { createAuth, getScopedAuth, TokenExpiredError, type Auth, type AuthContext } from '@prospectflow/auth-core';
      import { hasRole, type Role, type SessionView } from '@prospectflow/auth-core/types';
      import { LocalTokenIssuer } from '@prospectflow/auth-core/local-issuer';

      export function mount(auth: Auth): express.Express {
        const app = express();
        app.get('/me', auth.authenticate, (req: Request, res) => {
          const context: AuthContext | undefined = req.auth;
          const view: SessionView = auth.sessionView(req);
          res.json({ view, userId: context?.user.id });
        });
        app.get('/admin', auth.authenticate, auth.scopeOrganisation, auth.requireRole('admin'), (req, res) => {
          const role: Role = getScopedAuth(req).role;
          res.json({ canOwn: hasRole(role, 'owner') });
        });
        app.use(auth.errorHandler);
        return app;
      }
      export const checks = [createAuth, LocalTokenIssuer, new TokenExpiredError().code satisfies 'token_expired'];
    `;
    await writeFile(path.join(scratch, 'consumer.mts'), consumer);
    // The same source as CommonJS: its imports resolve through the `require` condition to the .d.cts types.
    await writeFile(path.join(scratch, 'consumer.cts'), consumer);
    await writeFile(
      path.join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          esModuleInterop: true,
        },
        files: ['consumer.mts', 'consumer.cts'],
      }),
    );
    const tsc = path.join(scratch, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', scratch]).catch(
      (error: { stdout: string }) => error,
    );
    expect(result.stdout).toBe('');
  });

  it('bundles its ./types entry for the browser from the built file alone', async () => {
    const result = await build({
      absWorkingDir: scratch,
      stdin: {
        contents: "export { hasRole, ROLES } from '@prospectflow/auth-core/types';",
        resolveDir: scratch,
      },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(Object.keys(result.metafile.inputs).sort()).toEqual([
      '<stdin>',
      'node_modules/@prospectflow/auth-core/dist/types.js',
    ]);
  });
});
