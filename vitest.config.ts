import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One file per core (vitest's default leaves one core idle): the suites mostly wait on the
    // emulator, moto and child processes, so 2 files at once on 2 cores take 6 min instead of 10.
    maxWorkers: '100%',
    // Fails a test file that leaves process.env changed.
    setupFiles: ['test/support/env-guard.ts'],
  },
});
