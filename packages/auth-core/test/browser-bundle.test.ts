import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// The `./types` entry is what frontends import: it must bundle for the browser on its own, with no Node
// built-in and no runtime dependency pulled in.

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('@prospectflow/auth-core/types', () => {
  it('bundles for the browser from its own source only, and runs without Node', async () => {
    const result = await build({
      absWorkingDir: packageDir,
      entryPoints: [path.join(packageDir, 'src/types.ts')],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'authTypes',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(Object.keys(result.metafile.inputs)).toEqual(['src/types.ts']);
    const code = result.outputFiles[0]?.text ?? '';
    expect(code).not.toMatch(/\brequire\(|node:/);

    // A bare JavaScript context: no require, no process, no Buffer.
    const context: { authTypes?: { hasRole(actual: string, required: string): boolean; ROLES: string[] } } =
      {};
    vm.runInNewContext(code, context);
    expect(context.authTypes?.hasRole('owner', 'admin')).toBe(true);
    expect(context.authTypes?.ROLES).toEqual(['viewer', 'member', 'admin', 'owner']);
  });
});
