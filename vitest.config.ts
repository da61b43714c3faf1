import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Fails a test file that leaves process.env changed.
    setupFiles: ['test/support/env-guard.ts'],
  },
});
