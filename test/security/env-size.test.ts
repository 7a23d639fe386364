// Issue 13, item 14: the preload's cost must not depend on the size of the environment. Speed is
// measured in bench/startup.mjs (`enabled, 10k env vars`); here the behaviour behind it: a full
// enabled run (start, record, flush) never enumerates the environment, and the destination key
// depends only on the OTLP settings that pick a destination, whatever else is exported.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { destinationKey } from '../../src/spool/layout';
import { routeKey } from '../../src/spool/shipper-state';
import { makeSandbox, runFixture, type Env } from '../support/run-fixture';

const COUNTER = path.join(__dirname, 'fixtures', 'count-env-enumeration.js');
const bigEnv = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`BIG_VAR_${i}`, `value-${i}`]));

describe('item 14: start-up independent of the environment size', () => {
  it('an enabled run with 10,000 exported variables never enumerates the environment', async () => {
    const sb = makeSandbox();
    try {
      // Debug mode records and flushes everything, and prints instead of spooling (no shipper spawn,
      // which copies the environment for the child as any spawn must).
      const env: Env = { ...sb.env, ...bigEnv, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', DEVTOOL_TELEMETRY_DEBUG: '1' };
      const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require', nodeArgs: ['--require', COUNTER] });
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/would send/); // it did record and flush
      expect(r.stderr).toMatch(/env-enumerations=0\n/);
      // The counter works: a plain enumeration by the tool would be seen.
      const control = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'none', nodeArgs: ['--require', COUNTER, '-e', 'Object.keys(process.env)'] });
      expect(control.stderr).toMatch(/env-enumerations=1\n/);
    } finally {
      sb.cleanup();
    }
  });

  it('destination and route keys: the same with or without 10,000 unrelated variables, different for another endpoint', () => {
    const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_EXPORTER_OTLP_HEADERS: 'a=b', HTTPS_PROXY: 'http://127.0.0.1:3128' };
    expect(destinationKey({ ...base, ...bigEnv })).toBe(destinationKey(base));
    expect(routeKey({ ...base, ...bigEnv })).toBe(routeKey(base));
    expect(destinationKey({ ...base, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:1' })).not.toBe(destinationKey(base));
    expect(routeKey({ ...base, HTTPS_PROXY: 'http://127.0.0.1:1' })).not.toBe(routeKey(base));
    // A proxy picks the route, not the destination folder: batches stay where they are.
    expect(destinationKey({ ...base, HTTPS_PROXY: 'http://127.0.0.1:1' })).toBe(destinationKey(base));
  });
});
