import { configDefaults, defineConfig } from 'vitest/config';

/**
 * In-process suites: our modules run inside the test process, no child process is started (the unit
 * project's setup file makes starting one fail the test). `npm run test:unit` runs only these.
 */
export const UNIT_SUITES = [
  'test/architecture/layers.test.ts',
  'test/consent/booleans.test.ts',
  'test/consent/resolve.test.ts',
  'test/consent/user-config-notice.test.ts',
  'test/features/bad-input.test.ts',
  'test/privacy/catalog.test.ts',
  'test/privacy/corpus.test.ts',
  'test/privacy/false-positives.test.ts',
  'test/privacy/pathological.test.ts',
  'test/privacy/local-identity.test.ts',
  'test/privacy/paths.test.ts',
  'test/privacy/prefilter.test.ts',
  'test/privacy/sanitizer-properties.test.ts',
  'test/privacy/purity.test.ts',
  'test/privacy/sanitize.test.ts',
  'test/privacy/telemetry-md.test.ts',
  'test/semconv/registry-names.test.ts',
  'test/semconv/registry.test.ts',
  'test/session/session-end-race.test.ts',
  'test/shipper/delivery-rules.test.ts',
  'test/support/receiver.test.ts',
  'test/trees/propagation.test.ts',
  'test/viewer/panels.test.ts',
];

/**
 * Suites that run our collector, Jaeger or Prometheus (built from Go modules / installed by the repo's
 * scripts). Only these get the stack-building global setup; each also builds what it needs in its own
 * beforeAll (cached, locked), so a suite missing here is slow, never wrong.
 */
export const STACK_SUITES = [
  'test/collector/**/*.test.ts',
  'test/e2e/**/*.test.ts',
  'test/features/backends.test.ts',
  'test/viewer/viewer-in-browser.test.ts',
];

// Tests spawn real node processes, collectors and servers: few workers, generous timeouts.
// Three projects, one run (`vitest run` runs all): `unit` (in-process), `process` (real processes on
// fixtures, no Go build: every other suite), `stack` (the real collector, Jaeger, Prometheus).
export default defineConfig({
  test: {
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 900_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: UNIT_SUITES, setupFiles: ['test/support/no-child-processes.ts'] },
      },
      {
        extends: true,
        test: { name: 'process', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...UNIT_SUITES, ...STACK_SUITES] },
      },
      {
        extends: true,
        test: {
          name: 'stack',
          include: STACK_SUITES,
          // Builds our collector and Jaeger and installs Prometheus once, before these suites (fails loudly).
          globalSetup: ['test/collector/global-setup.ts'],
        },
      },
    ],
  },
});
