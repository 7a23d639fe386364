// The second half of `npm test`: the real-process suites again under every other Node.js release CI
// tests (scripts/node-versions.json; the first half, `vitest run`, ran everything under this machine's
// Node), then the shipper tests against the next OpenTelemetry JS major (scripts/test-otel-next.mjs).
// Each suite runs in a vitest started by the other node binary, so process.execPath, which the
// fixtures spawn, is that version. Missing binaries are installed by scripts/node-versions.sh.
// Fails loudly: a version that cannot be installed or a failing suite fails `npm test`.
import { nodeBinary, pinnedVersions, vitestWith } from './node-versions-lib.mjs';
import { runOtelNext } from './test-otel-next.mjs';

/** The suites whose behaviour depends on the Node version: processes, module systems, hooks, packaging. */
const SUITES = [
  'test/core/exit-paths.test.ts', // the preload on every exit path, CJS and ESM entries, all preload modes
  'test/core/api-spans-nest-under-command.test.ts', // the API by require and by import
  'test/llm/capture.test.ts', // LLM capture: require hook (CJS) and module.register / registerHooks (ESM)
  'test/http/http-server.test.ts', // node:http, Express, Fastify servers
  'test/core/pack.test.ts', // a clean clone's tarball, installed and preloaded by name
];

if (import.meta.url === `file://${process.argv[1]}`) {
  const timings = [];
  try {
    for (const { major, version } of pinnedVersions()) {
      timings.push([`Node ${version}`, vitestWith(nodeBinary(major, version), SUITES, { label: `Node ${major}` })]);
    }
    timings.push(['OTel JS next', runOtelNext()]);
  } finally {
    console.log(`\n== other Node versions (main pass: Node ${process.versions.node}): ${timings.map(([l, s]) => `${l} ${s.toFixed(0)} s`).join(', ') || 'none finished'}`);
  }
}
