import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The pixel CPU diagnostic (pixel-cpu.ts), run through the test harness like the benchmarks.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    name: 'ingest-api-bench-pixel-cpu',
    include: ['pixel-cpu.ts'],
    testTimeout: 30 * 60_000,
    hookTimeout: 5 * 60_000,
  },
});
