import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', types: 'src/types.ts', 'local-issuer': 'src/local-issuer.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  // Each entry stands alone: the browser-safe `types` entry must not import a chunk shared with Node code.
  splitting: false,
  treeshake: true,
});
