/** Helpers for the core tests: a receiver per file, runs that wait for their spans to arrive. */
import { startReceiver, type FlatSpan, type Receiver } from '../support/otlp-receiver';
import { makeSandbox, runFixture, type Env, type RunOptions, type RunResult, type Sandbox } from '../support/run-fixture';
import { perFile } from '../support/hooks';

/** Removes our first-run notice (the one allowed difference on stderr) from a stderr capture. */
export function stripNotice(stderr: string): string {
  const lines = stderr.split('\n');
  const out: string[] = [];
  let inNotice = false;
  for (const line of lines) {
    if (line.startsWith('devtool-telemetry: ')) {
      inNotice = !line.includes('Details:'); // the CI variant is one line
      continue;
    }
    if (inNotice) {
      if (line.includes('This notice is shown once.')) inNotice = false;
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}

export interface Harness {
  receiver: Receiver;
  sandbox: Sandbox;
  env: Env;
  close(): Promise<void>;
}

/** A harness (receiver + sandbox + env) for the whole test file (or describe), closed after its last test. */
export function harnessPerFile(extraEnv: Env = {}): Harness {
  return perFile('harnessPerFile()', () => harness(extraEnv), (h) => h.close());
}

export async function harness(extraEnv: Env = {}): Promise<Harness> {
  const receiver = await startReceiver();
  const sandbox = makeSandbox();
  const env: Env = { ...sandbox.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...extraEnv };
  return {
    receiver,
    sandbox,
    env,
    async close() {
      await receiver.close();
      sandbox.cleanup();
    },
  };
}

/** Runs a fixture under the preload and waits until the run's command span reached the receiver. */
export async function runAndCollect(
  h: Harness,
  opts: Omit<RunOptions, 'env'> & { env?: Env },
  timeoutMs = 15_000,
): Promise<{ run: RunResult; spans: FlatSpan[]; root: FlatSpan }> {
  const before = new Set(h.receiver.spans().map((s) => s.traceId));
  const run = await runFixture({ ...opts, env: { ...h.env, ...opts.env } });
  let root: FlatSpan | undefined;
  await h.receiver.waitFor(() => {
    root = h.receiver.spans().find((s) => !s.parentSpanId && !before.has(s.traceId));
    return !!root;
  }, timeoutMs);
  const spans = h.receiver.spans().filter((s) => s.traceId === root!.traceId);
  return { run, spans, root: root! };
}
