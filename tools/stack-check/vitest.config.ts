import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'stack-check',
    include: ['test/**/*.test.ts'],
  },
});
