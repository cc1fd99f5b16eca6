import { defineConfig } from 'vitest/config';

// Unit tests need nothing; integration and e2e tests share one Temporal dev server and one fresh
// database per run, started by the global set-up.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
