import { defineConfig } from 'vitest/config';

// Tests spawn real node processes, collectors and servers: few workers, generous timeouts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 900_000,
    reporters: ['default'],
  },
});
