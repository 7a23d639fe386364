// Collector throughput on loopback: our collector with the shipped config (memory_limiter + privacy
// processors) versus the same binary with no processor in the traces pipeline (both batch in the exporter's
// sending queue, as the shipped config does since the batch processor is deprecated). Spans/s accepted
// and collector CPU per span (utime+stime from /proc/<pid>/stat), same load, same exporter (debug, basic
// verbosity: a cheap sink, so the processors are what differs). Payloads are OTLP/HTTP protobuf, as our
// SDK's shipper sends them, shaped like its spans (catalog attributes, ~20 resource attributes).
// Target (issue 7): the privacy processors cost under 2x.
//
//   node bench/collector-throughput.mjs          (standalone; builds the collector if missing)
//   import { run } from './collector-throughput.mjs'; await run();   (bench/run.mjs)
// Env: BENCH_COLLECTOR_SECONDS (default 8), BENCH_COLLECTOR_CONCURRENCY (4), BENCH_COLLECTOR_SPANS (100 per request).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt, findFreePorts, startCollector, stopPid, PATHS } from '../scripts/stack-lib.mjs';

const SECONDS = Number(process.env.BENCH_COLLECTOR_SECONDS ?? 8);
const CONCURRENCY = Number(process.env.BENCH_COLLECTOR_CONCURRENCY ?? 4);
const SPANS_PER_REQUEST = Number(process.env.BENCH_COLLECTOR_SPANS ?? 100);
const CLK_TCK = 100; // USER_HZ on Linux

// --- a minimal OTLP protobuf encoder (ExportTraceServiceRequest), enough for realistic spans ---------
function varint(n) {
  const out = [];
  let v = BigInt(n);
  while (v > 127n) {
    out.push(Number((v & 127n) | 128n));
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}
const tag = (field, wire) => varint((field << 3) | wire);
const lenField = (field, buf) => Buffer.concat([tag(field, 2), varint(buf.length), buf]);
const strField = (field, s) => lenField(field, Buffer.from(s, 'utf8'));
const fixed64 = (field, big) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(big));
  return Buffer.concat([tag(field, 1), b]);
};
function anyValue(v) {
  if (typeof v === 'string') return strField(1, v);
  if (typeof v === 'boolean') return Buffer.concat([tag(2, 0), varint(v ? 1 : 0)]);
  if (Number.isInteger(v)) return Buffer.concat([tag(3, 0), varint(BigInt.asUintN(64, BigInt(v)))]);
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return Buffer.concat([tag(4, 1), b]);
}
const keyValue = (k, v) => Buffer.concat([strField(1, k), lenField(2, anyValue(v))]);
const attrsFields = (field, obj) => Buffer.concat(Object.entries(obj).map(([k, v]) => lenField(field, keyValue(k, v))));

function encodeSpan(s) {
  return Buffer.concat([
    lenField(1, s.traceId),
    lenField(2, s.spanId),
    ...(s.parentSpanId ? [lenField(4, s.parentSpanId)] : []),
    strField(5, s.name),
    tag(6, 0),
    varint(1),
    fixed64(7, s.start),
    fixed64(8, s.end),
    attrsFields(9, s.attributes),
    lenField(15, Buffer.concat([...(s.status.message ? [strField(2, s.status.message)] : []), tag(3, 0), varint(s.status.code)])),
  ]);
}

export function encodeTraces(resource, spans) {
  const scopeSpans = Buffer.concat([lenField(1, strField(1, 'devtool-telemetry')), ...spans.map((s) => lenField(2, encodeSpan(s)))]);
  const resourceSpans = Buffer.concat([lenField(1, attrsFields(1, resource)), lenField(2, scopeSpans)]);
  return lenField(1, resourceSpans);
}

const RESOURCE = {
  'service.name': 'bench-tool',
  'service.version': '1.4.2',
  'service.instance.id': randomBytes(16).toString('hex'),
  'os.type': 'linux',
  'os.version': '6.8.0-45-generic',
  'os.name': 'Ubuntu',
  'os.description': 'Ubuntu 24.04.1 LTS',
  'host.arch': 'amd64',
  'process.runtime.name': 'nodejs',
  'process.runtime.version': '20.19.43',
  'process.runtime.description': 'Node.js',
  'telemetry.sdk.name': 'opentelemetry',
  'telemetry.sdk.language': 'nodejs',
  'telemetry.sdk.version': '2.12.0',
  'telemetry.distro.name': 'devtool-telemetry',
  'telemetry.distro.version': '0.1.0',
  'devtool.ci.vendor': 'github_actions',
  'devtool.container': false,
  'devtool.agent': 'none',
  'app.installation.id': randomBytes(16).toString('hex'),
  'session.id': randomBytes(16).toString('hex'),
};

function makeSpans(n) {
  const now = BigInt(Date.now()) * 1_000_000n;
  const spans = [];
  for (let i = 0; i < n; i += 5) {
    const traceId = randomBytes(16);
    const root = randomBytes(8);
    spans.push({
      traceId,
      spanId: root,
      name: 'bench-tool build',
      start: now - 900_000_000n,
      end: now,
      attributes: {
        'devtool.command.name': 'build',
        'devtool.command.subcommand': 'all',
        'devtool.command.outcome': i % 10 ? 'success' : 'failure',
        'process.exit.code': i % 10 ? 0 : 1,
        ...(i % 10 ? {} : { 'error.type': 'ENOENT' }),
      },
      status: i % 10 ? { code: 0 } : { code: 2, message: 'build failed' },
    });
    for (let j = 1; j < 5 && spans.length < n; j++) {
      const llm = j === 2;
      spans.push({
        traceId,
        spanId: randomBytes(8),
        parentSpanId: root,
        name: llm ? 'chat gpt-4o-mini' : `step compile-${j}`,
        start: now - 800_000_000n + BigInt(j) * 100_000_000n,
        end: now - 750_000_000n + BigInt(j) * 100_000_000n,
        attributes: llm
          ? {
              'gen_ai.operation.name': 'chat',
              'gen_ai.provider.name': 'openai',
              'gen_ai.request.model': 'gpt-4o-mini',
              'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
              'gen_ai.usage.input_tokens': 1200,
              'gen_ai.usage.output_tokens': 340,
              'gen_ai.response.finish_reasons': ['stop'],
              'http.request.method': 'POST',
              'url.path': '/v1/chat/completions',
              'http.response.status_code': 200,
            }
          : { 'devtool.step.name': `compile-${j}`, 'devtool.step.outcome': 'success' },
        status: { code: 0 },
      });
    }
  }
  return spans;
}

function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime
}

function writeOverlay(dir, onlyBatch) {
  const file = path.join(dir, onlyBatch ? 'only-batch.yaml' : 'privacy.yaml');
  fs.writeFileSync(
    file,
    `service:
  pipelines:
    traces:
${onlyBatch ? '      processors: []\n' : ''}      exporters: [debug]
`,
  );
  return file;
}

async function measure(label, onlyBatch, body, dir) {
  const [collectorGrpcPort, collectorHttpPort, healthPort, promExporterPort, collectorTelemetryPort, jaegerOtlpGrpcPort] = await findFreePorts(6);
  const ports = { collectorGrpcPort, collectorHttpPort, healthPort, promExporterPort, collectorTelemetryPort, jaegerOtlpGrpcPort };
  const work = path.join(dir, onlyBatch ? 'batch' : 'privacy');
  const col = await startCollector({ name: 'collector', ports, workDir: work, extraConfigs: [writeOverlay(dir, onlyBatch)], env: { DEVTOOL_COLLECTOR_LOG_LEVEL: 'warn' } });
  const url = `http://127.0.0.1:${collectorHttpPort}/v1/traces`;
  const post = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
  try {
    // warm-up
    const warmEnd = Date.now() + 1500;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < warmEnd) await (await post()).arrayBuffer();
    }));
    let ok = 0;
    let refused = 0;
    const cpu0 = cpuSeconds(col.pid);
    const t0 = process.hrtime.bigint();
    const end = Date.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (Date.now() < end) {
          const res = await post();
          await res.arrayBuffer();
          if (res.status === 200) ok++;
          else refused++;
        }
      }),
    );
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = cpuSeconds(col.pid) - cpu0;
    const spans = ok * SPANS_PER_REQUEST;
    return { label, spansPerSec: spans / secs, cpuUsPerSpan: (cpu / spans) * 1e6, cpuCores: cpu / secs, requests: ok, refused };
  } finally {
    await stopPid(col.pid);
  }
}

export async function run({ log = console.log } = {}) {
  if (!fs.existsSync(PATHS.collectorBin)) {
    log('building the collector (npm run collector:build) ...');
  }
  await ensureBuilt({ jaeger: false, prometheus: false, log: () => {} });
  const body = encodeTraces(RESOURCE, makeSpans(SPANS_PER_REQUEST));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtt-bench-collector-'));
  try {
    const rows = [];
    // alternate, twice each, and keep each config's better run (less noise from the shared 2 cores)
    for (let round = 0; round < 2; round++) {
      rows.push(await measure('only batch', true, body, dir));
      rows.push(await measure('privacy processors (otel-collector.yaml)', false, body, dir));
    }
    const best = (label) => rows.filter((r) => r.label === label).sort((a, b) => a.cpuUsPerSpan - b.cpuUsPerSpan)[0];
    const base = best('only batch');
    const ours = best('privacy processors (otel-collector.yaml)');
    log(`\n## collector-throughput (loopback, OTLP/HTTP protobuf, ${SPANS_PER_REQUEST} spans/request, ${CONCURRENCY} concurrent senders, ${SECONDS} s, ${os.cpus().length} cores shared with the sender)`);
    log('| collector pipeline | spans/s | CPU µs/span | collector CPU (cores) | refused requests |');
    log('|---|---:|---:|---:|---:|');
    for (const r of [base, ours]) {
      log(`| ${r.label} | ${Math.round(r.spansPerSec).toLocaleString('en-US')} | ${r.cpuUsPerSpan.toFixed(2)} | ${r.cpuCores.toFixed(2)} | ${r.refused} |`);
    }
    const cpuRatio = ours.cpuUsPerSpan / base.cpuUsPerSpan;
    const tputRatio = base.spansPerSec / ours.spansPerSec;
    log(`privacy cost: ${cpuRatio.toFixed(2)}x CPU per span, ${tputRatio.toFixed(2)}x lower throughput (target < 2x): ${cpuRatio < 2 ? 'OK' : 'OVER TARGET'}`);
    return { base, ours, cpuRatio, tputRatio };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
