/**
 * A private collector + Jaeger + Prometheus on free loopback ports for one test file, built or
 * installed through the repo's scripts first. Never skips: if a component cannot be built the
 * test fails with the script's message.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { perFile } from '../support/hooks';
import { ensureBuilt, freeStackPorts, startStack } from '../../scripts/stack-lib.mjs';

export interface PrivateStack {
  endpoints: { otlpHttp: string; jaegerUi: string; prometheus: string };
  queryJaegerTraces(service: string, o?: Record<string, unknown>): Promise<JaegerTrace[]>;
  queryPrometheus(promql: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  waitForScrape(since?: number, timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
  workDir: string;
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; spanID: string }>;
  tags: Array<{ key: string; value: unknown }>;
  processID: string;
}
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: Array<{ key: string; value: unknown }> }>;
}

/**
 * `acceptKeys`: Go RE2 patterns of attribute keys the collector should accept besides its registry (the
 * catalog), as an operator does for a tool's own keys (devtool_redact allowed_keys.extra_patterns; the
 * shipped config drops every other key).
 */
export async function startPrivateStack({ acceptKeys = [] }: { acceptKeys?: string[] } = {}): Promise<PrivateStack> {
  await ensureBuilt({ log: () => {} });
  const ports = await freeStackPorts();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtt-stack-'));
  const collectorExtraConfigs: string[] = [];
  if (acceptKeys.length > 0) {
    const file = path.join(workDir, 'overlay-accept-keys.yaml');
    // a list replaces the shipped one: keep its default (tools' feature properties); `$` is `$$` in collector configs
    const patterns = ['^devtool\\.feature\\.[a-z0-9_.]+$', ...acceptKeys].map((p) => `'${p.replace(/'/g, "''").replace(/\$/g, '$$$$')}'`);
    fs.writeFileSync(file, `processors:\n  devtool_redact:\n    allowed_keys:\n      extra_patterns: [${patterns.join(', ')}]\n`);
    collectorExtraConfigs.push(file);
  }
  const stack = await startStack({ ...ports, workDir, scrapeInterval: '1s', collectorExtraConfigs });
  return {
    ...stack,
    workDir,
    async stop() {
      await stack.stop();
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** A private stack (see startPrivateStack) for the whole test file, stopped after its last test. */
export function privateStackPerFile(opts: { acceptKeys?: string[] } = {}): PrivateStack {
  return perFile('privateStackPerFile()', () => startPrivateStack(opts), (stack) => stack.stop());
}

export function tag(span: JaegerSpan, key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}

export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 800)} ${lastErr ?? ''}`);
}
