/**
 * Shared set-up for the LLM capture tests: the fixture app (CJS and ESM entries), the fake
 * OpenAI/Anthropic server from examples/ai-agent, a fresh OTLP receiver and sandbox per run
 * (a detached shipper from one run can never deliver into another run's assertions).
 */
import * as path from 'node:path';
import { perFile } from '../support/hooks';
import { startReceiver, type FlatMetric, type FlatSpan, type Receiver } from '../support/otlp-receiver';
import { linkPackage, listSpool, makeSandbox, runFixture, type PreloadMode, type RunResult } from '../support/run-fixture';

export const APP_DIR = path.join(__dirname, 'fixtures', 'llm-app');
export const PROMPT = 'SECRET-PROMPT-7f3a';
export const SYSTEM = 'SECRET-SYSTEM-91c2';
/** A phrase only the fake server's reply to a "plan" prompt contains. */
export const COMPLETION = 'read the failing test';

export interface FakeLlm {
  url: string;
  requests: Array<{ path: string; body: string }>;
  close(): Promise<void>;
}

export async function startFakeLlm(): Promise<FakeLlm> {
  // @ts-expect-error: plain ESM server of the examples, without types
  const mod = (await import('../../examples/ai-agent/fake-llm-server.mjs')) as {
    startFakeLlmServer(o?: { port?: number }): Promise<FakeLlm>;
  };
  return mod.startFakeLlmServer();
}

/** The fake OpenAI/Anthropic server for the whole test file, closed after its last test. */
export function fakeLlmPerFile(): FakeLlm {
  return perFile('fakeLlmPerFile()', startFakeLlm, (llm) => llm.close());
}

export interface AppRun {
  result: RunResult;
  receiver: Receiver;
  /** The app's one stdout JSON line. */
  out: Record<string, unknown>;
}

export interface AppOptions {
  entry: 'cjs' | 'mjs';
  /** The fixture app's directory; default APP_DIR (llm-app). */
  dir?: string;
  /** Another entry file in the fixture (e.g. `late-start.cjs`); default `app.{entry}`. */
  script?: string;
  scenario: string;
  model?: string;
  mode?: PreloadMode;
  level?: 'minimal' | 'usage' | 'full';
  retries?: number;
  env?: Record<string, string>;
  /** Wait for this many spans at the receiver (default: any span, i.e. the command span). */
  waitFor?: (spans: FlatSpan[]) => boolean;
}

export async function runApp(llm: FakeLlm, opts: AppOptions): Promise<AppRun> {
  const dir = opts.dir ?? APP_DIR;
  linkPackage(dir);
  const receiver = await startReceiver();
  const sb = makeSandbox();
  const env: Record<string, string> = {
    ...sb.env,
    LLM_URL: llm.url,
    LLM_RETRIES: String(opts.retries ?? 0),
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    ...(opts.level ? { DEVTOOL_TELEMETRY_LEVEL: opts.level } : {}),
    ...opts.env,
  };
  const mode = opts.mode ?? (opts.entry === 'cjs' ? 'require' : 'import');
  const result = await runFixture({
    script: path.join(dir, opts.script ?? `app.${opts.entry}`),
    args: [opts.scenario, ...(opts.model ? [opts.model] : [])],
    env,
    mode,
  });
  let out: Record<string, unknown>;
  try {
    out = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
  } catch (err) {
    throw new Error(`app printed no JSON line:\n${result.stdout}\n${result.stderr}`, { cause: err });
  }
  if (mode !== 'none' || opts.script) {
    const want = opts.waitFor ?? ((s: FlatSpan[]) => s.some((x) => x.parentSpanId === undefined));
    try {
      await receiver.waitFor(() => want(receiver.spans()) && receiver.metrics().length > 0, 20_000);
    } catch (err) {
      // Say where the records stopped: still in the spool (shipper), or never written (preload).
      throw new Error(`${(err as Error).message}\nspool: ${listSpool(env).join(', ') || 'empty'}\nstderr: ${result.stderr}`, { cause: err });
    }
  }
  await receiver.close();
  sb.cleanup();
  return { result, receiver, out };
}

/** The plain run's stdout line, for comparing behaviour with and without us. */
export async function runPlainApp(llm: FakeLlm, opts: Omit<AppOptions, 'mode'>): Promise<AppRun> {
  return runApp(llm, { ...opts, mode: 'none' });
}

export function llmSpans(r: Receiver): FlatSpan[] {
  return r.spans().filter((s) => s.kind === 3 && typeof s.attributes['gen_ai.operation.name'] === 'string');
}

export function rootSpan(r: Receiver): FlatSpan {
  const root = r.spans().find((s) => s.parentSpanId === undefined);
  if (!root) throw new Error('no command span');
  return root;
}

/** Histogram points of a metric, flattened across requests. */
export function points(r: Receiver, name: string): FlatMetric['points'] {
  return r.metrics().filter((m) => m.name === name).flatMap((m) => m.points);
}

/** Sum of histogram point sums per token type. */
export function tokenSums(r: Receiver): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of points(r, 'gen_ai.client.token.usage')) {
    const t = String(p.attributes['gen_ai.token.type']);
    out[t] = (out[t] ?? 0) + (p.sum ?? 0);
  }
  return out;
}
