import { defineConfig } from 'vitest/config';

// Tests spawn real node processes, collectors and servers: few workers, generous timeouts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds our collector and Jaeger and installs Prometheus once, before any test (fails loudly).
    globalSetup: ['test/collector/global-setup.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 900_000,
    reporters: ['default'],
  },
});
