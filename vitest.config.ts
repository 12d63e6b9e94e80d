import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (stubbed transports, fake timers, loopback fakes) and `contract` (the SDK
 * against Prism started in-process from the spec by the global setup). `npm test` runs both;
 * `npx vitest run --project unit` runs the fast half alone.
 */
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
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
