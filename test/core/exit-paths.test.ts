/**
 * Every exit path, CommonJS and ESM, through --require, --import and NODE_OPTIONS: the run
 * arrives as one command span with the right exit code and error class, and the app's stdout,
 * stderr (apart from the first-run notice), exit code and signal are exactly as without us.
 *
 * Signals without an app handler: the preload installs no signal listener, so the process dies
 * by the signal at once, as under plain node, running no JS. The run is then recorded from its
 * start record by the shipper the next run starts, as `abnormal` (exit code and signal unknown to
 * anyone but the parent). Signal paths that run JS (signal-exit, handlers that re-raise) are in
 * signals-compare.test.ts.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlatSpan } from '../support/otlp-receiver';
import { registerPath, runFixture, runPlain, type PreloadMode, type RunResult } from '../support/run-fixture';
import { harnessPerFile, runAndCollect, stripNotice } from './helpers';

interface Case {
  verb: string[];
  code: number | null;
  signal?: string;
  exitCode: number;
  outcome: 'success' | 'failure' | 'abnormal';
  errorType?: string;
  signalPlan?: { signal: NodeJS.Signals; whenStdoutIncludes: string };
}

const CASES: Record<string, Case> = {
  'normal end': { verb: ['ok'], code: 0, exitCode: 0, outcome: 'success' },
  'process.exitCode': { verb: ['exitcode', '2'], code: 2, exitCode: 2, outcome: 'failure' },
  'process.exit(n)': { verb: ['fail-exit', '3'], code: 3, exitCode: 3, outcome: 'failure' },
  'process.exit(n) from async code': { verb: ['async-exit', '4'], code: 4, exitCode: 4, outcome: 'failure' },
  'uncaught exception': { verb: ['throw'], code: 1, exitCode: 1, outcome: 'failure', errorType: 'TypeError' },
  'unhandled rejection': { verb: ['reject'], code: 1, exitCode: 1, outcome: 'failure', errorType: 'RangeError' },
  SIGINT: {
    verb: ['wait'], code: null, signal: 'SIGINT', exitCode: 130, outcome: 'abnormal',
    signalPlan: { signal: 'SIGINT', whenStdoutIncludes: 'ready' },
  },
  SIGTERM: {
    verb: ['wait'], code: null, signal: 'SIGTERM', exitCode: 143, outcome: 'abnormal',
    signalPlan: { signal: 'SIGTERM', whenStdoutIncludes: 'ready' },
  },
  "the app's own SIGTERM handler": {
    verb: ['own-handler'], code: 0, exitCode: 0, outcome: 'success',
    signalPlan: { signal: 'SIGTERM', whenStdoutIncludes: 'ready' },
  },
  'an app that replaces process.exit': { verb: ['replace-exit', '5'], code: 5, exitCode: 5, outcome: 'failure' },
};

const VARIANTS: Array<{ fixture: string; tool: string; modes: PreloadMode[] }> = [
  { fixture: 'fixture-tool/cli.js', tool: 'fixture-tool', modes: ['require', 'node-options'] },
  { fixture: 'fixture-esm/cli.mjs', tool: 'fixture-esm', modes: ['import', 'node-options-import', 'require'] },
];

const h = harnessPerFile();

/** A later preloaded run: the shipper its exit starts finalizes the start records of dead runs. */
function kickRun(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', registerPath('require'), '-e', ''], { env: { ...h.env, OTEL_SERVICE_NAME: 'kick-run' }, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve());
  });
}

/** Run a fixture that dies without running JS, then a kick run; its span comes from the start record. */
async function runAbandoned(opts: Parameters<typeof runFixture>[0], tool: string): Promise<{ run: RunResult; spans: FlatSpan[]; root: FlatSpan }> {
  const before = new Set(h.receiver.spans().map((s) => s.traceId));
  const run = await runFixture({ ...opts, env: { ...h.env, ...opts.env } });
  await kickRun();
  const mine = () => h.receiver.spans().filter((s) => !s.parentSpanId && !before.has(s.traceId) && s.resource['service.name'] === tool);
  await h.receiver.waitFor(() => mine().length > 0, 15_000);
  const root = mine()[0]!;
  return { run, root, spans: h.receiver.spans().filter((s) => s.traceId === root.traceId) };
}


for (const { fixture, tool, modes } of VARIANTS) {
  for (const mode of modes) {
    describe(`${fixture} with ${mode}`, () => {
      for (const [title, c] of Object.entries(CASES)) {
        it(title, async () => {
          const opts = { script: fixture, args: c.verb, signalAfterMs: c.signalPlan };
          const plain = await runPlain({ ...opts, env: h.env });
          const { run, root, spans } = c.outcome === 'abnormal' ? await runAbandoned({ ...opts, mode }, tool) : await runAndCollect(h, { ...opts, mode });

          expect(run.code).toBe(plain.code);
          expect(run.signal).toBe(plain.signal);
          expect(run.code).toBe(c.code);
          if (c.signal) expect(run.signal).toBe(c.signal);
          expect(run.stdout).toBe(plain.stdout);
          expect(stripNotice(run.stderr)).toBe(plain.stderr);
          expect(run.stdioHeldOpen).toBe(false);

          expect(spans.filter((s) => !s.parentSpanId)).toHaveLength(1);
          // Every verb of the fixture is a declared subcommand (package.json devtoolTelemetry.subcommands).
          expect(root.name).toBe(`${tool} ${c.verb[0]}`);
          expect(root.attributes['devtool.command.outcome']).toBe(c.outcome);
          expect(root.resource['service.name']).toBe(tool);
          expect(root.durationMs).toBeGreaterThan(0);
          if (c.outcome === 'abnormal') {
            // Died by the signal without running JS: what only the parent saw is not claimed.
            expect(root.attributes['process.exit.code']).toBeUndefined();
            expect(root.attributes['devtool.process.signal']).toBeUndefined();
            expect(root.status.code).toBe(2);
            return;
          }
          expect(root.attributes['process.exit.code']).toBe(c.exitCode);
          if (c.errorType) {
            expect(root.attributes['error.type']).toBe(c.errorType);
            expect(root.status.code).toBe(2);
            // the class only: the planted message never travels
            expect(JSON.stringify(root)).not.toContain('secret message');
          } else if (c.exitCode !== 0) {
            // CLI conventions: error.type whenever the exit code is not 0; the code itself when
            // there is no exception class.
            expect(root.attributes['error.type']).toBe(String(c.exitCode));
            expect(root.status.code).toBe(2);
          } else {
            expect(root.attributes['error.type']).toBeUndefined();
          }
          // Required by the CLI conventions.
          expect(root.attributes['process.executable.name']).toBe(path.basename(process.execPath));
          expect(Number.isInteger(root.attributes['process.pid'])).toBe(true);
          expect(root.attributes['process.pid']).toBeGreaterThan(0);
          expect(root.attributes['process.pid']).not.toBe(process.pid);
          if (c.outcome === 'success') expect(root.status.code).not.toBe(2);
          expect(root.attributes['devtool.process.cpu.user']).toBeGreaterThan(0);
          expect(root.attributes['devtool.process.memory.peak']).toBeGreaterThan(1024 * 1024);
        });
      }
    });
  }
}
