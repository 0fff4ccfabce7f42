import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Benchmarks run through the test harness (real PostgreSQL, pgBouncer and Redis) but are not tests: they print
// numbers and assert nothing about time. `pnpm --filter @prospectflow/ingest-api bench:pixel` runs this config.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    name: 'ingest-api-bench',
    include: ['pixel-bench.ts'],
    testTimeout: 30 * 60_000,
    hookTimeout: 5 * 60_000,
  },
});
