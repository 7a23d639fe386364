import { defineConfig } from 'vitest/config';
import base from './vitest.config';

// The real-process suites that scripts/test-node-versions.mjs runs again under each other Node
// version CI tests. They need no collector, Jaeger or Prometheus: no global setup.
export default defineConfig({ ...base, test: { ...base.test, globalSetup: [] } });
