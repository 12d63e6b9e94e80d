import { defineConfig } from 'vitest/config';

/**
 * Projects: `unit` (stubbed transports, fake timers, loopback fakes), `contract` (the SDK against
 * Prism started in-process from the spec by the global setup), `stores` (PGlite, PostgreSQL, Redis)
 * and `relay` (the webhook relay). `npm test` runs them all;
 * `npx vitest run --project unit` runs the fast half alone.
 */
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // The fleet stores against embedded PGlite (always) and the real PostgreSQL and Redis servers.
      // Starting an embedded PGlite takes seconds on a busy machine: these suites get more time.
      { extends: true, test: { name: 'stores', include: ['test/stores/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 } },
      // The webhook relay: library, HTTP API, delivery, and the service as a child process.
      { extends: true, test: { name: 'relay', include: ['test/relay/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 } },
      {
        extends: true,
        test: {
          name: 'contract',
          include: ['test/contract/**/*.test.ts', 'test/chaos/**/*.test.ts'],
          globalSetup: ['./test/support/prism.global-setup.ts'],
        },
      },
    ],
  },
});
