import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Benchmarks run through the test harness (real PostgreSQL, pgBouncer and Redis) but are not tests: they print
// numbers and assert nothing about time. Name the file to run after the config (vitest's file filter):
// `bench:pixel` runs pixel-bench, `pnpm bench record-opens` record-opens; pixel-cpu is a diagnostic.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    name: 'ingest-api-bench',
    include: ['pixel-bench.ts', 'pixel-cpu.ts', 'record-opens.ts'],
    testTimeout: 30 * 60_000,
    hookTimeout: 5 * 60_000,
  },
});
