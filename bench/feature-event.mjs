// Benchmark: the cost of one feature-usage event (target ≤ 2 µs), and of HTTP server request
// instrumentation per request, ours beside @opentelemetry/instrumentation-http (with the SDK's
// tracer provider and a BatchSpanProcessor, as sdk-node would set it up).
//
// Each variant runs in its own child process (this file with `--child <variant>`), so preloads and
// patches never mix. HTTP: the parent is the client (keep-alive, one request at a time) and the
// child the server; the child reports its own CPU time, so client cost is not counted.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSink } from './lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);
const SELF = fileURLToPath(import.meta.url);

const FEATURE_CALLS = 200_000;
const HTTP_WARMUP = 2000;
const HTTP_REQUESTS = 6000;
const HTTP_ROUNDS = 3;

// ---------------------------------------------------------------------------------------------
// Children

function cpuUs() {
  const c = process.cpuUsage();
  return c.user + c.system;
}

function perCallNs(fn, n) {
  for (let i = 0; i < 20_000; i++) fn(i); // warm up (JIT, registry, metric series)
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / n;
}

async function childFeatureOurs() {
  const t = require(join(root, 'dist/cjs/index.js'));
  t.defineFeatures({ ask: { properties: { source: { type: 'string', values: ['ui', 'api'] }, cached: { type: 'boolean' }, rows: { type: 'number' } } } });
  const withProps = perCallNs((i) => t.feature('ask', { source: i & 1 ? 'ui' : 'api', cached: true, rows: i }), FEATURE_CALLS);
  const bare = perCallNs(() => t.feature('ask'), FEATURE_CALLS);
  const undeclared = perCallNs(() => t.feature('nope', { x: 1 }), FEATURE_CALLS);
  process.stdout.write(JSON.stringify({ withProps, bare, undeclared, level: t.telemetryLevel() }) + '\n');
}

async function childFeatureOtel() {
  const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
  const { MeterProvider } = require('@opentelemetry/sdk-metrics');
  const exporter = { export: (_s, cb) => cb({ code: 0 }), shutdown: async () => {} };
  const tracer = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] }).getTracer('bench');
  const meter = new MeterProvider().getMeter('bench');
  const counter = meter.createCounter('devtool.feature.uses');
  const span = tracer.startSpan('command');
  // The same record: a span event with the properties plus a counter increment.
  const withProps = perCallNs((i) => {
    const attrs = { 'devtool.feature.name': 'ask', 'devtool.feature.prop.source': i & 1 ? 'ui' : 'api', 'devtool.feature.prop.cached': true };
    span.addEvent('feature ask', { ...attrs, 'devtool.feature.prop.rows': i });
    counter.add(1, attrs);
  }, FEATURE_CALLS);
  span.end();
  process.stdout.write(JSON.stringify({ withProps }) + '\n');
}

function startServer(httpMod) {
  const server = httpMod.createServer((req, res) => {
    if (req.url === '/__cpu') return res.end(String(cpuUs()));
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`ready ${server.address().port}\n`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

function childHttpOtel() {
  const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
  const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
  const { registerInstrumentations } = require('@opentelemetry/instrumentation');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
  const exporter = { export: (_s, cb) => cb({ code: 0 }), shutdown: async () => {} };
  const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
  provider.register();
  registerInstrumentations({ instrumentations: [new HttpInstrumentation()] });
  startServer(require('node:http'));
}

// ---------------------------------------------------------------------------------------------
// Parent

function sandboxEnv(extra = {}) {
  const home = fs.mkdtempSync(join(os.tmpdir(), 'dtt-bench-feature-'));
  const env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, 'cfg'), XDG_CACHE_HOME: join(home, 'cache'), DEVTOOL_TELEMETRY_LEVEL: 'usage', ...extra };
  return { env, cleanup: () => fs.rmSync(home, { recursive: true, force: true }) };
}

const PRELOAD = ['--require', join(root, 'dist/cjs/register.js')];


function childJson(args, variant, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, SELF, '--child', variant], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n')[0]));
      } catch {
        reject(new Error(`${variant} exited ${code}: ${out.slice(0, 300)}`));
      }
    });
  });
}

function startHttpChild(args, variant, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, SELF, '--child', variant], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /ready (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('close', (code) => reject(new Error(`${variant} exited ${code} before ready`)));
  });
}

function get(agent, port, path) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

async function measureHttp(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < HTTP_WARMUP; i++) await get(agent, port, `/users/${i}/items?x=${i}`);
  const cpu0 = Number(await get(agent, port, '/__cpu'));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < HTTP_REQUESTS; i++) await get(agent, port, `/users/${i}/items?x=${i}`);
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000 / HTTP_REQUESTS;
  const cpu1 = Number(await get(agent, port, '/__cpu'));
  agent.destroy();
  return { wallUs, cpuUs: (cpu1 - cpu0) / HTTP_REQUESTS };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function run() {
  if (!fs.existsSync(join(root, 'dist/cjs/register.js'))) throw new Error('dist missing: run `npm run build` first');
  // Feature events: printed instead of sent (DEBUG), no periodic flush during the measurement.
  const sb = sandboxEnv({ DEVTOOL_TELEMETRY_DEBUG: '1', DEVTOOL_TELEMETRY_FLUSH_INTERVAL: '0' });
  // HTTP servers: configured as in production: a flush every second into the spool, exported by
  // the detached shipper to a loopback sink (the shipper's CPU is its own process, not the app's).
  const sink = await startSink();
  const httpSb = sandboxEnv({ DEVTOOL_TELEMETRY_FLUSH_INTERVAL: '1000', OTEL_EXPORTER_OTLP_ENDPOINT: sink.url });
  try {
    // -- one feature event
    const ours = await childJson(PRELOAD, 'feature-ours', sb.env);
    const otel = await childJson([], 'feature-otel', sb.env);
    if (ours.level !== 'usage') throw new Error(`telemetry not recording in the bench child (level ${ours.level})`);
    console.log('\n## feature-event: one feature-usage event (span event + counter), per call');
    console.log('| variant | ns per event | target |');
    console.log('|---|---:|---:|');
    console.log(`| devtool-telemetry feature('ask', {source, cached, rows}) | ${ours.withProps.toFixed(0)} | ≤ 2000 ${ours.withProps <= 2000 ? 'ok' : 'MISSED'} |`);
    console.log(`| devtool-telemetry feature('ask') (no properties) | ${ours.bare.toFixed(0)} | ≤ 2000 |`);
    console.log(`| devtool-telemetry undeclared name (dropped + counted) | ${ours.undeclared.toFixed(0)} | |`);
    console.log(`| OTel SDK span.addEvent + counter.add (BatchSpanProcessor, MeterProvider) | ${otel.withProps.toFixed(0)} | |`);

    // -- HTTP server requests: rounds interleave variants so machine noise hits all alike
    const variants = [
      { name: 'plain node:http (no telemetry)', args: [], child: 'http-plain' },
      // The preload at `minimal` records the run but installs no HTTP instrumentation: the
      // difference to the next row is the request instrumentation alone.
      { name: 'devtool-telemetry preload, level minimal (no HTTP instrumentation)', args: PRELOAD, child: 'http-plain', env: { DEVTOOL_TELEMETRY_LEVEL: 'minimal' } },
      { name: 'devtool-telemetry preload (usage: request spans + histogram)', args: PRELOAD, child: 'http-plain' },
      { name: '@opentelemetry/instrumentation-http + sdk-trace-node', args: [], child: 'http-otel' },
    ];
    const samples = new Map(variants.map((v) => [v.name, []]));
    for (let round = 0; round < HTTP_ROUNDS; round++) {
      for (const v of variants) {
        const { child, port } = await startHttpChild(v.args, v.child, { ...httpSb.env, ...(v.env ?? {}) });
        try {
          samples.get(v.name).push(await measureHttp(port));
        } finally {
          child.kill('SIGTERM');
        }
      }
    }
    const rows = variants.map((v) => {
      const s = samples.get(v.name);
      return { name: v.name, wallUs: median(s.map((x) => x.wallUs)), cpuUs: median(s.map((x) => x.cpuUs)) };
    });
    const base = rows[0];
    console.log(`\n## feature-event: HTTP server request instrumentation (${HTTP_REQUESTS} keep-alive requests x ${HTTP_ROUNDS} rounds, medians)`);
    console.log('| variant | wall µs/request | vs plain | server CPU µs/request | vs plain |');
    console.log('|---|---:|---:|---:|---:|');
    for (const r of rows) {
      const sign = (x) => (x >= 0 ? '+' : '') + x.toFixed(1);
      console.log(`| ${r.name} | ${r.wallUs.toFixed(1)} | ${sign(r.wallUs - base.wallUs)} | ${r.cpuUs.toFixed(1)} | ${sign(r.cpuUs - base.cpuUs)} |`);
    }
    console.log(`(the sink received ${sink.count()} OTLP requests from the shippers)`);
  } finally {
    sb.cleanup();
    await sink.close();
    await new Promise((r) => setTimeout(r, 1000)); // let the last shipper finish before its HOME goes
    httpSb.cleanup();
  }
}

// ---------------------------------------------------------------------------------------------

const childIdx = process.argv.indexOf('--child');
if (childIdx >= 0) {
  const variant = process.argv[childIdx + 1];
  const table = {
    'feature-ours': childFeatureOurs,
    'feature-otel': childFeatureOtel,
    'http-plain': () => startServer(require('node:http')),
    'http-otel': childHttpOtel,
  };
  Promise.resolve(table[variant]?.()).catch((err) => {
    process.stderr.write(String(err?.stack || err));
    process.exit(1);
  });
} else if (process.argv[1] === SELF) {
  run();
}
