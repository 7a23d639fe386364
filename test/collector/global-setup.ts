// vitest globalSetup for the collector tests: builds the collector and Jaeger and installs Prometheus
// through the repo scripts once, before any test file starts (a cold build takes minutes). Each collector
// test file also calls ensureStackBuilt() in beforeAll (cached, locked), so the tests still build what
// they need when this setup is not wired in; this just moves the long part out of the test timeouts.
// Fails loudly: a component that cannot be built fails the run, it is never skipped.
import { ensureBuilt } from '../../scripts/stack-lib.mjs';

export default async function setup(): Promise<void> {
  const t0 = Date.now();
  const timings = await ensureBuilt({ log: (l: string) => process.stderr.write(`[stack-build] ${l}\n`) });
  process.stderr.write(`[stack-build] ready in ${((Date.now() - t0) / 1000).toFixed(1)} s ${JSON.stringify(timings)}\n`);
}
