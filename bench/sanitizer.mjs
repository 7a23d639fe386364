// Sanitizer cost per typical span (10 attributes), and the whole record path (record + sanitize),
// beside an OpenTelemetry SDK span through a BatchSpanProcessor with a no-op exporter.
// Targets (issue 5): sanitize ≤ 1 µs per span, record + sanitize ≤ 2 µs per event.
// Reads the built CommonJS (`npm run build` first; `npm run bench` does it).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);

const TYPICAL = {
  'devtool.command.name': 'fixture-tool build',
  'devtool.command.outcome': 'failure',
  'devtool.command.flags': ['--verbose', '--watch'],
  'process.exit.code': 1,
  'error.type': 'ENOENT',
  'devtool.process.signal': 'SIGINT',
  'devtool.process.cpu.user': 0.42,
  'devtool.process.cpu.system': 0.05,
  'devtool.process.memory.peak': 73400320,
  'devtool.process.memory.heap': 12582912,
};
const CTX = { level: 'usage', home: '/home/bench', user: 'bench', host: 'bench-host', cwd: '/home/bench/app' };

/**
 * ns per op: median of `rounds` timed batches of `n` calls, after a warm-up. The fastest round is
 * kept too (`best`): on a loaded machine it is the closer estimate of the uncontended cost.
 */
function nsPerOp(fn, { n = 20000, rounds = 9 } = {}) {
  for (let i = 0; i < n; i++) fn(i);
  const xs = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    xs.push(Number(process.hrtime.bigint() - t0) / n);
  }
  xs.sort((a, b) => a - b);
  lastBest = xs[0];
  return xs[xs.length >> 1];
}
let lastBest = NaN;
/** Row with the median and the best round of the measurement just taken. */
const row = (name, ns, extra = {}) => ({ name, ns, best: lastBest, ...extra });

async function otelSdkRow() {
  let sdk;
  try {
    sdk = require('@opentelemetry/sdk-trace-base');
  } catch {
    return { name: 'OTel SDK span start+end, BatchSpanProcessor, no-op exporter', ns: NaN, note: 'sdk-trace-base not installed' };
  }
  const exporter = { export: (_spans, cb) => cb({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} };
  const processor = new sdk.BatchSpanProcessor(exporter, { maxQueueSize: 65536, maxExportBatchSize: 4096, scheduledDelayMillis: 50 });
  const provider = new sdk.BasicTracerProvider({ spanProcessors: [processor] });
  const tracer = provider.getTracer('bench');
  const ns = nsPerOp(() => {
    const span = tracer.startSpan('fixture-tool build', { attributes: TYPICAL });
    span.end();
  }, { n: 4096 });
  const best = lastBest;
  await provider.shutdown();
  return { name: 'OTel SDK span start+end, BatchSpanProcessor, no-op exporter', ns, best };
}

export async function run() {
  const dist = join(root, 'dist/cjs');
  const { createSanitizer } = require(join(dist, 'privacy/sanitize.js'));
  const rows = [];
  const s = createSanitizer(CTX);

  rows.push(row('sanitize typical span attributes (10), warm', nsPerOp(() => s.attributes('span', TYPICAL)), { target: 1000 }));
  rows.push(row('sanitize span name + 10 attributes, warm', nsPerOp(() => {
    s.spanName('fixture-tool build');
    s.attributes('span', TYPICAL);
  }), { target: 1000 }));
  // Cold: string values never seen before (the memo cannot help): the scrubber's real cost.
  const words = ['build', 'deploy', 'test', 'lint', 'serve', 'watch', 'init', 'publish'];
  rows.push(row('sanitize typical span attributes (10), cold (new strings)', nsPerOp((i) => s.attributes('span', { ...TYPICAL, 'devtool.command.name': `tool${i} ${words[i & 7]}`, 'error.type': `E${i}RR` }), { n: 5000 })));
  rows.push(row('createSanitizer (per process, once)', nsPerOp(() => createSanitizer(CTX), { n: 2000 })));

  // Batch path as the exit flush runs it: one batch of 200 spans, per span.
  const mkSpan = (i) => ({
    traceId: '0af7651916cd43dd8448eb211c80319c', spanId: (0x1000000000000000n + BigInt(i)).toString(16), name: 'fixture-tool build', kind: 1,
    startTimeUnixNano: '1732440000000000000', endTimeUnixNano: '1732440001000000000', attributes: TYPICAL, events: [], links: [], status: { code: 2 },
  });
  const batch = { v: 1, id: 'bench', createdAt: 0, level: 'usage', resource: { 'service.name': 'fixture-tool', 'os.type': 'linux' }, spans: Array.from({ length: 200 }, (_, i) => mkSpan(i)), metrics: [] };
  const perBatch = nsPerOp(() => s.batch(batch), { n: 200 });
  rows.push({ name: 'sanitize batch of 200 spans, per span', ns: perBatch / 200, best: lastBest / 200, target: 1000 });

  // Record path: the real recorder (LiveSpan start/end into a Run), then sanitize that record.
  let Run;
  try {
    ({ Run } = require(join(dist, 'recorder/run.js')));
  } catch {
    Run = undefined;
  }
  if (Run) {
    const init = { level: 'usage', toolName: 'fixture-tool', flags: [], resource: () => ({}) };
    let runObj = new Run(init);
    let count = 0;
    const record = () => {
      if (++count === 4000) {
        runObj = new Run(init); // stay under the recorder's pending-span cap
        count = 0;
      }
      const sp = runObj.startSpan('step build', 1, { 'devtool.step.name': 'build', 'devtool.step.outcome': 'success' });
      return sp.end();
    };
    rows.push(row('record: recorder span start+end', nsPerOp(record)));
    rows.push(row('record + sanitize (per event)', nsPerOp(() => {
      const r = record();
      s.spanName(r.name);
      s.attributes('span', r.attributes);
    }), { target: 2000 }));
  } else {
    rows.push({ name: 'record: recorder span start+end', ns: NaN, note: 'dist/cjs/recorder/run.js not built' });
  }
  rows.push(await otelSdkRow());

  console.log('\n## sanitizer');
  console.log('| path | ns per op (median) | µs | best round, ns | target (median) |');
  console.log('|---|---:|---:|---:|---|');
  for (const r of rows) {
    const ok = r.target === undefined ? '' : r.ns <= r.target ? `≤ ${r.target / 1000} µs: ok` : `≤ ${r.target / 1000} µs: MISSED`;
    console.log(`| ${r.name} | ${Number.isFinite(r.ns) ? r.ns.toFixed(0) : 'n/a'} | ${Number.isFinite(r.ns) ? (r.ns / 1000).toFixed(2) : 'n/a'} | ${Number.isFinite(r.best) ? r.best.toFixed(0) : 'n/a'} | ${ok}${r.note ? ` (${r.note})` : ''} |`);
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
