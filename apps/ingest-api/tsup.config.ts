import { defineConfig } from 'tsup';

// The deployable server and worker: one ESM file each. Workspace packages (@prospectflow/*) are TypeScript sources in this
// monorepo, so they are bundled in; the API's own dependencies stay external and load from node_modules.
export default defineConfig({
  entry: { server: 'src/server.ts', worker: 'src/worker.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  clean: true,
  splitting: false,
  noExternal: [/^@prospectflow\//],
});
