import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

// Three projects; `npx vitest run` runs them all, `--project unit` only the pure-logic tests.
// - unit (test/unit): no PostgreSQL, no Temporal, no global set-up; files run in parallel threads.
// - integration, e2e: share one Temporal dev server and one fresh database per project, started by
//   the global set-up, and run one file at a time, each in its own process (the forks pool, capped
//   at one below: vitest 3 takes fileParallelism only at the root, where it would serialise unit too).
// Unit runs first (groupOrder), so a unit failure shows before the slow projects start.
const withServices = {
  globalSetup: ['test/support/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
  pool: 'forks',
  sequence: { groupOrder: 1 },
} satisfies TestProjectInlineConfiguration['test'];

export default defineConfig({
  test: {
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          pool: 'threads',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 0 },
        },
      },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], ...withServices } },
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], ...withServices } },
    ],
  },
});
