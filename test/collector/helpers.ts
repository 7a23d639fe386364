// Helpers for the collector tests: build-once, private stacks on free ports, hand-made OTLP/JSON bodies,
// planted secrets. Everything talks to real processes on 127.0.0.1.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as lib from '../../scripts/stack-lib.mjs';

export const stackLib: any = lib;
export const ROOT: string = lib.ROOT;
export const COLLECTOR_BIN: string = lib.PATHS.collectorBin;
export const JAEGER_BIN: string = lib.PATHS.jaegerBin;

/** Build timeouts: a cold collector + Jaeger build takes minutes on 2 cores. */
export const BUILD_TIMEOUT = 1_800_000;

let built: Promise<unknown> | undefined;
/**
 * Build the collector and Jaeger and install Prometheus through the repo scripts (cached, locked, so
 * concurrent workers are fine). Rejects loudly when something cannot be built: tests never skip.
 */
export function ensureStackBuilt(): Promise<unknown> {
  built ??= lib.ensureBuilt({
    log: (l: string) => {
      if (process.env.DEVTOOL_TEST_VERBOSE || !/up to date|already installed/.test(l)) process.stderr.write(`[build] ${l}\n`);
    },
  });
  return built;
}

export interface CollectorPorts {
  collectorGrpcPort: number;
  collectorHttpPort: number;
  healthPort: number;
  promExporterPort: number;
  collectorTelemetryPort: number;
  jaegerOtlpGrpcPort: number;
}

/**
 * Our collector alone, on free loopback ports, with the shipped config (+ `extraConfigs`). Nothing
 * listens on its Jaeger port: exports fail and queue up, as when Jaeger is down. Stop it with
 * `stackLib.stopPid(col.pid)`.
 */
export async function startCollectorOnFreePorts(
  workDir: string,
  { env = {}, extraConfigs = [] }: { env?: Record<string, string>; extraConfigs?: string[] } = {},
): Promise<{ col: any; ports: CollectorPorts }> {
  const [collectorGrpcPort, collectorHttpPort, healthPort, promExporterPort, collectorTelemetryPort, jaegerOtlpGrpcPort] = await lib.findFreePorts(6);
  const ports = { collectorGrpcPort, collectorHttpPort, healthPort, promExporterPort, collectorTelemetryPort, jaegerOtlpGrpcPort };
  const col = await lib.startCollector({ ports, workDir, extraConfigs, env });
  return { col, ports };
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `dtt-collector-${prefix}-`));
}

/** Remove a test's work dir (logs, data) unless DEVTOOL_KEEP_TEST_DIRS is set (for debugging). */
export function removeDir(dir: string | undefined): void {
  if (!dir) return;
  if (process.env.DEVTOOL_KEEP_TEST_DIRS) {
    process.stderr.write(`kept ${dir}\n`);
    return;
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

export const hex = (bytes: number) => randomBytes(bytes).toString('hex');
export const nowNs = () => BigInt(Date.now()) * 1_000_000n;

type AttrValue = string | number | boolean | AttrValue[];
export function kv(value: AttrValue): any {
  if (Array.isArray(value)) return { arrayValue: { values: value.map(kv) } };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Number.isInteger(value)) return { intValue: String(value) };
  return { doubleValue: value };
}
export function attrs(obj: Record<string, AttrValue>): any[] {
  return Object.entries(obj).map(([key, value]) => ({ key, value: kv(value) }));
}

export interface SpanSpec {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name: string;
  attributes?: Record<string, AttrValue>;
  status?: { code: number; message?: string };
  events?: { name: string; attributes?: Record<string, AttrValue> }[];
}

export function span(s: SpanSpec): any {
  const t = nowNs();
  return {
    traceId: s.traceId ?? hex(16),
    spanId: s.spanId ?? hex(8),
    ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
    name: s.name,
    kind: 1,
    startTimeUnixNano: String(t - 5_000_000n),
    endTimeUnixNano: String(t),
    attributes: attrs(s.attributes ?? {}),
    events: (s.events ?? []).map((e) => ({ name: e.name, timeUnixNano: String(t), attributes: attrs(e.attributes ?? {}) })),
    status: s.status ?? { code: 0 },
  };
}

export function tracesBody(resource: Record<string, AttrValue>, spans: any[]): any {
  return { resourceSpans: [{ resource: { attributes: attrs(resource) }, scopeSpans: [{ scope: { name: 'devtool-test' }, spans }] }] };
}

export function sumMetric(name: string, unit: string, points: { value: number; attributes?: Record<string, AttrValue> }[], startNs: bigint): any {
  const t = nowNs();
  return {
    name,
    unit,
    sum: {
      aggregationTemporality: 2,
      isMonotonic: true,
      dataPoints: points.map((p) => ({
        asInt: String(p.value),
        startTimeUnixNano: String(startNs),
        timeUnixNano: String(t),
        attributes: attrs(p.attributes ?? {}),
      })),
    },
  };
}

export function histogramMetric(name: string, unit: string, points: { bounds: number[]; counts: number[]; sum: number; attributes?: Record<string, AttrValue> }[], startNs: bigint): any {
  const t = nowNs();
  return {
    name,
    unit,
    histogram: {
      aggregationTemporality: 2,
      dataPoints: points.map((p) => ({
        count: String(p.counts.reduce((a, b) => a + b, 0)),
        sum: p.sum,
        bucketCounts: p.counts.map(String),
        explicitBounds: p.bounds,
        startTimeUnixNano: String(startNs),
        timeUnixNano: String(t),
        attributes: attrs(p.attributes ?? {}),
      })),
    },
  };
}

export function metricsBody(resource: Record<string, AttrValue>, metrics: any[]): any {
  return { resourceMetrics: [{ resource: { attributes: attrs(resource) }, scopeMetrics: [{ scope: { name: 'devtool-test' }, metrics }] }] };
}

export function logsBody(resource: Record<string, AttrValue>, records: { body: string; attributes?: Record<string, AttrValue>; eventName?: string }[]): any {
  const t = nowNs();
  return {
    resourceLogs: [
      {
        resource: { attributes: attrs(resource) },
        scopeLogs: [
          {
            scope: { name: 'devtool-test' },
            logRecords: records.map((r) => ({
              timeUnixNano: String(t),
              observedTimeUnixNano: String(t),
              severityNumber: 9,
              severityText: 'INFO',
              ...(r.eventName ? { eventName: r.eventName } : {}),
              body: { stringValue: r.body },
              attributes: attrs(r.attributes ?? {}),
            })),
          },
        ],
      },
    ],
  };
}

export async function postOtlp(
  baseUrl: string,
  signal: 'traces' | 'metrics' | 'logs',
  body: unknown,
  { contentType = 'application/json', raw }: { contentType?: string; raw?: Buffer | string } = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${baseUrl}/v1/${signal}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: raw === undefined ? JSON.stringify(body) : typeof raw === 'string' ? raw : new Uint8Array(raw),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, text: await res.text() };
}

/**
 * Secrets and identifying values planted by the privacy tests. `pattern` ones must be caught by value
 * (redaction / OTTL regexes) wherever they appear; `keyed` ones are plain words that only identify
 * because of the key they are sent under (host.name, process.command_args, ...), so they prove the keys
 * are deleted.
 */
export const PLANTED = {
  pattern: {
    email: 'alice.leak@example.com',
    ipv4: '203.0.113.77',
    ipv6: '2001:db8:dead:beef::77',
    bearer: 'Bearer tok3nLEAKabcdef123456',
    jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsZWFrIn0.c2lnbmF0dXJlTEVBSw',
    openaiKey: 'sk-proj-LEAKabcdef0123456789XYZ',
    githubToken: 'ghp_LEAK0123456789abcdefghijABCDEFGHIJ',
    awsKey: 'AKIALEAK0123456789AB',
    urlCreds: 'https://leakuser:leakpass@git.example.org/org/repo.git',
    urlQuery: 'https://api.example.org/v1/items/4242?api_key=LEAKQUERY123&page=2',
    homePath: '/home/leakyuser/projects/app/src/index.js',
  },
  // what must not survive of each pattern secret (the whole value or its identifying part)
  patternNeedles: [
    'alice.leak',
    '203.0.113.77',
    '2001:db8:dead:beef',
    'tok3nLEAK',
    'eyJhbGciOiJIUzI1NiJ9',
    'c2lnbmF0dXJlTEVBSw',
    'sk-proj-LEAK',
    'ghp_LEAK',
    'AKIALEAK',
    'leakuser',
    'leakpass',
    'LEAKQUERY123',
    'leakyuser',
  ],
  keyed: {
    'host.name': 'LEAKHOSTNAME',
    'host.id': 'LEAKHOSTID',
    'process.owner': 'LEAKOWNER',
    'process.command_args': ['node', 'cli.js', '--flag', 'LEAKARGVALUE'],
    'process.executable.path': '/opt/LEAKEXEPATH/node',
    'enduser.id': 'LEAKENDUSER',
    'user.name': 'LEAKUSERNAME',
    'client.address': 'LEAKCLIENTADDR',
    'exception.message': 'LEAKEXCEPTIONMSG something failed',
    'exception.stacktrace': 'Error: LEAKSTACK\n    at x (file.js:1:1)',
    'url.query': 'LEAKURLQUERY=1',
    'gen_ai.prompt': 'LEAKPROMPT tell me a secret',
    'db.statement': 'SELECT LEAKSQL FROM users',
  } as Record<string, AttrValue>,
  keyedNeedles: [
    'LEAKHOSTNAME',
    'LEAKHOSTID',
    'LEAKOWNER',
    'LEAKARGVALUE',
    'LEAKEXEPATH',
    'LEAKENDUSER',
    'LEAKUSERNAME',
    'LEAKCLIENTADDR',
    'LEAKEXCEPTIONMSG',
    'LEAKSTACK',
    'LEAKURLQUERY',
    'LEAKPROMPT',
    'LEAKSQL',
  ],
  /** never as a free-text error message: status messages are cleared */
  statusMessage: 'LEAKSTATUSMSG failed for alice.leak@example.com',
  /** a credential-named key: its whole value is masked */
  credentialKey: { key: 'app.api_key', value: 'LEAKCREDVALUE' },
};

export const ALL_NEEDLES = [...PLANTED.patternNeedles, ...PLANTED.keyedNeedles, 'LEAKSTATUSMSG', 'LEAKCREDVALUE'];

/** Needles found in `text` (for readable failures: expect(found).toEqual([])). */
export function findNeedles(text: string, needles: string[] = ALL_NEEDLES): string[] {
  return needles.filter((n) => text.includes(n));
}

/** Read a file exporter's output (JSON lines); '' when missing. */
export function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Parse JSON lines written by the file exporter. */
export function readJsonLines(file: string): any[] {
  return readText(file)
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/** Overlay config adding file exporters to every pipeline of our config (merged by the collector). */
export function writeFileExporterOverlay(
  dir: string,
  { traces = ['otlp/jaeger'], metrics = ['prometheus'], logs = ['debug'] }: { traces?: string[]; metrics?: string[]; logs?: string[] } = {},
): string {
  const file = path.join(dir, 'overlay-file-exporters.yaml');
  const q = (p: string) => JSON.stringify(path.join(dir, p));
  fs.writeFileSync(
    file,
    `# test overlay: the shipped config plus file exporters, to inspect exactly what leaves the collector
exporters:
  file/traces:
    path: ${q('out-traces.jsonl')}
    flush_interval: 100ms
  file/metrics:
    path: ${q('out-metrics.jsonl')}
    flush_interval: 100ms
  file/logs:
    path: ${q('out-logs.jsonl')}
    flush_interval: 100ms
service:
  pipelines:
    traces:
      exporters: [${[...traces, 'file/traces'].join(', ')}]
    metrics:
      exporters: [${[...metrics, 'file/metrics'].join(', ')}]
    logs:
      exporters: [${[...logs, 'file/logs'].join(', ')}]
`,
  );
  return file;
}

/** Resident set size (bytes) of a pid, from /proc. */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
