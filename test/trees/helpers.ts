/**
 * Process-tree tests: run a fixture under the preload through NODE_OPTIONS (so every node child
 * inherits it, as under `npm run` or `concurrently`), then read the spans of every process of the
 * tree from the test receiver and print them as a tree.
 */
import * as path from 'node:path';
import { startReceiver, type FlatSpan, type Receiver } from '../support/otlp-receiver';
import { linkPackage, makeSandbox, preloadArgs, runFixture, type Env, type RunResult, type Sandbox } from '../support/run-fixture';
import { waitForShipperIdle } from '../support/spool-helpers';

export const FIXTURES = path.join(__dirname, 'fixtures');
export const SPAWNER = path.join(FIXTURES, 'spawner', 'cli.js');
export const TOOL_A = path.join(FIXTURES, 'tool-a', 'cli.js');

/** The command span of a process: the one span with an outcome. */
export const isCommand = (s: FlatSpan): boolean => s.attributes['devtool.command.outcome'] !== undefined;

export interface Trees {
  receiver: Receiver;
  sb: Sandbox;
  env: Env;
  /** NODE_OPTIONS carrying the preload, for children and for commands run by the tests. */
  nodeOptions: string;
  /** Run `script args` under the preload; resolves with the run and the spans of `commands` new command spans' traces. */
  run(script: string, args?: string[], extraEnv?: Env, opts?: { commands?: number; mode?: 'node-options' | 'none' }): Promise<{ run: RunResult; spans: FlatSpan[] }>;
  close(): Promise<void>;
}

export async function startTrees(): Promise<Trees> {
  for (const d of ['spawner', 'http-steps']) linkPackage(path.join(FIXTURES, d));
  const receiver = await startReceiver();
  const sb = makeSandbox();
  const env: Env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
  const nodeOptions = preloadArgs('node-options', {}).env.NODE_OPTIONS!;
  return {
    receiver,
    sb,
    env,
    nodeOptions,
    async run(script, args = [], extraEnv = {}, opts = {}) {
      const seen = new Set(receiver.spans().map((s) => s.spanId));
      const e = { ...env, ...extraEnv };
      const run = await runFixture({ script, args, env: e, mode: opts.mode ?? 'node-options', cwd: sb.home, timeoutMs: 30_000 });
      const want = opts.commands ?? 0;
      const fresh = () => receiver.spans().filter((s) => !seen.has(s.spanId));
      if (want > 0) await receiver.waitFor(() => fresh().filter(isCommand).length >= want, 25_000);
      await waitForShipperIdle(e, 25_000);
      return { run, spans: fresh() };
    },
    async close() {
      await receiver.close();
      sb.cleanup();
    },
  };
}

/** Spans as an indented tree (name, kind, service), roots first: for assertions and for people. */
export function renderTree(spans: FlatSpan[]): string {
  const byParent = new Map<string, FlatSpan[]>();
  const ids = new Set(spans.map((s) => s.spanId));
  for (const s of spans) {
    const key = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : '';
    const list = byParent.get(key) ?? [];
    list.push(s);
    byParent.set(key, list);
  }
  for (const list of byParent.values()) list.sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1));
  const KIND = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
  const lines: string[] = [];
  const walk = (s: FlatSpan, depth: number) => {
    const code = s.attributes['process.exit.code'];
    const extra = [KIND[s.kind] ?? s.kind, String(s.resource['service.name'] ?? ''), code !== undefined ? `exit ${code}` : '', s.links.length ? `links ${s.links.length}` : '']
      .filter(Boolean)
      .join(', ');
    lines.push(`${'  '.repeat(depth)}${s.name} (${extra})`);
    for (const c of byParent.get(s.spanId) ?? []) walk(c, depth + 1);
  };
  for (const r of byParent.get('') ?? []) walk(r, 0);
  return lines.join('\n');
}

/** The command span of service `name` (exactly one expected). */
export function commandOf(spans: FlatSpan[], name: string): FlatSpan {
  const found = spans.filter((s) => isCommand(s) && s.resource['service.name'] === name);
  if (found.length !== 1) throw new Error(`expected one command span of ${name}, found ${found.length}:\n${renderTree(spans)}`);
  return found[0]!;
}

export function parentOf(spans: FlatSpan[], s: FlatSpan): FlatSpan | undefined {
  return spans.find((p) => p.spanId === s.parentSpanId);
}
