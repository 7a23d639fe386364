/**
 * Issue 12: under the preload a tool ends on a signal exactly as under plain node (code, signal,
 * stdout/stderr bytes, dying within 1 s), whatever handles the signal: nobody, the app itself,
 * signal-exit 3.x or 4.x, execa's child cleanup, an ora spinner on a terminal, a CPU-bound loop,
 * a real CLI from npm (start-server-and-test). And each run is still recorded with its true
 * outcome: through the exit path when JS runs, through the start record when the process died
 * without running any (finalized by the shipper that the next run starts).
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareRuns, tableRow, type CompareOptions, type Comparison } from '../support/compare-runs';
import { freePort, type FlatSpan } from '../support/otlp-receiver';
import { FIXTURES_DIR, REPO_ROOT, registerPath } from '../support/run-fixture';
import { harnessPerFile } from './helpers';

const DIR = path.join(FIXTURES_DIR, 'signals');
const NODE = process.execPath;
const BIN = path.join(REPO_ROOT, 'node_modules', '.bin');
const NUM: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

const h = harnessPerFile();
const table: string[] = [];
afterAll(() => {
  if (table.length) {
    console.log(['| case | plain | preloaded | plain ms to die | preloaded ms to die | differences |', '|---|---|---|---:|---:|---|', ...table].join('\n'));
  }
});

function roots(): FlatSpan[] {
  return h.receiver.spans().filter((s) => !s.parentSpanId);
}

/** A later preloaded run: its exit kicks the shipper, which finalizes abandoned start records. */
function kickRun(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, ['--require', registerPath('require'), '-e', ''], {
      env: { ...h.env, OTEL_SERVICE_NAME: 'kick-run' },
      stdio: 'ignore',
    });
    child.on('error', reject);
    child.on('exit', () => resolve());
  });
}

/** The command span of the one preloaded run since `before` (not the kick run's). */
async function recorded(before: Set<string>, kick: boolean, service = 'signal-fixtures'): Promise<FlatSpan> {
  const mineOf = () => roots().filter((s) => !before.has(s.traceId) && s.resource['service.name'] === service);
  const find = () => mineOf()[0];
  if (kick) await kickRun();
  await h.receiver.waitFor(() => !!find(), 15_000);
  // Exactly one record of the run: never both the full one and an abandoned one.
  await new Promise((r) => setTimeout(r, 300));
  const mine = mineOf();
  expect(mine).toHaveLength(1);
  return mine[0]!;
}

type Expect =
  | { kind: 'interrupted'; signal: string } // the exit path saw the signal (signal-exit, ora)
  | { kind: 'abnormal' } // died without running JS
  | { kind: 'exit'; code: number; outcome: 'success' | 'failure' };

async function check(name: string, opts: Omit<CompareOptions, 'env'>, want: Expect): Promise<Comparison> {
  const before = new Set(roots().map((s) => s.traceId));
  const c = await compareRuns({ cwd: DIR, ...opts, env: h.env });
  table.push(tableRow(name, c));
  expect(c.diffs).toEqual([]);
  const span = await recorded(before, want.kind === 'abnormal');
  expect(span.resource['service.name']).toBeTypeOf('string');
  if (want.kind === 'interrupted') {
    expect(span.attributes['devtool.command.outcome']).toBe('interrupted');
    expect(span.attributes['devtool.process.signal']).toBe(want.signal);
    expect(span.attributes['process.exit.code']).toBe(128 + NUM[want.signal]!);
  } else if (want.kind === 'abnormal') {
    expect(span.attributes['devtool.command.outcome']).toBe('abnormal');
    expect(span.attributes['process.exit.code']).toBeUndefined();
    expect(span.status.code).toBe(2);
  } else {
    expect(span.attributes['devtool.command.outcome']).toBe(want.outcome);
    expect(span.attributes['process.exit.code']).toBe(want.code);
  }
  return c;
}

const after = (signal: NodeJS.Signals | 'ctrl-c', extra: Partial<CompareOptions['schedule'] extends (infer S)[] | undefined ? S : never> = {}) => [
  { signal, whenOutputIncludes: 'ready', afterMs: 150, ...extra },
];

describe.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s', (sig) => {
  it('no handler: dies by it at once; recorded as abnormal through the start record', async () => {
    const c = await check(`wait.js, ${sig}`, { command: NODE, args: ['wait.js'], schedule: after(sig) }, { kind: 'abnormal' });
    expect(c.preloaded.signal).toBe(sig);
  });
  it("the app's own handler decides (exit 7)", async () => {
    await check(`wait.js own handler, ${sig}`, { command: NODE, args: ['wait.js', '--own', sig], schedule: after(sig) }, { kind: 'exit', code: 7, outcome: 'failure' });
  });
  it('signal-exit 4.x re-raises: dies by it; recorded as interrupted', async () => {
    const c = await check(`signal-exit 4, ${sig}`, { command: NODE, args: ['signal-exit-4.js'], schedule: after(sig) }, { kind: 'interrupted', signal: sig });
    expect(c.preloaded.stdout.toString()).toContain(`onExit code=null signal=${sig}`);
  });
  it('signal-exit 4.x with the app handler: the app decides', async () => {
    await check(`signal-exit 4 + own handler, ${sig}`, { command: NODE, args: ['signal-exit-4.js', '--own', sig], schedule: after(sig) }, { kind: 'exit', code: 7, outcome: 'failure' });
  });
  it('signal-exit 3.x re-raises: dies by it; recorded as interrupted', async () => {
    const c = await check(`signal-exit 3, ${sig}`, { command: NODE, args: ['signal-exit-3.js'], schedule: after(sig) }, { kind: 'interrupted', signal: sig });
    expect(c.preloaded.signal).toBe(sig);
  });
  it('signal-exit 3.x with the app handler: the app decides', async () => {
    await check(`signal-exit 3 + own handler, ${sig}`, { command: NODE, args: ['signal-exit-3.js', '--own', sig], schedule: after(sig) }, { kind: 'exit', code: 7, outcome: 'failure' });
  });
});

describe('CPU-bound', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('a busy loop dies on %s at once, as under plain node', async (sig) => {
    const c = await check(`busy loop, ${sig}`, { command: NODE, args: ['busy.js'], schedule: after(sig) }, { kind: 'abnormal' });
    expect(c.preloaded.signal).toBe(sig);
    expect(c.preloaded.signalToExitMs!).toBeLessThan(1000);
  });
});

describe('process.kill observed, not changed', () => {
  it('results, errors, arity, and a self-kill with the default signal', async () => {
    const c = await check('process.kill calls, self SIGTERM', { command: NODE, args: ['kill-calls.js'] }, { kind: 'interrupted', signal: 'SIGTERM' });
    expect(c.plain.signal).toBe('SIGTERM');
    expect(c.plain.stdout.toString()).toContain('threw TypeError ERR_UNKNOWN_SIGNAL');
  });
});

describe('real libraries and CLIs', () => {
  it('an execa child running, Ctrl-C to the group', async () => {
    await check('execa child, SIGINT to group', { command: NODE, args: ['execa-child.mjs'], schedule: after('SIGINT') }, { kind: 'interrupted', signal: 'SIGINT' });
  });

  it('an execa child running, SIGTERM to the parent only', async () => {
    await check('execa child, SIGTERM to parent', { command: NODE, args: ['execa-child.mjs'], schedule: after('SIGTERM', { target: 'process' }) }, { kind: 'interrupted', signal: 'SIGTERM' });
  });

  it('an ora spinner on a pseudo-terminal, ^C typed', async () => {
    // Frames depend on timing: compare what is left without the spinner's redraws.
    const normalize = (s: string) =>
      s
        // eslint-disable-next-line no-control-regex -- ESC starts the spinner's ANSI sequences, stripped here
        .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
        .split('\n')
        .map((l) => l.replace(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] working/g, '').trimEnd())
        .filter(Boolean)
        .join('\n');
    const c = await check('ora spinner on a pty, ^C', { command: NODE, args: ['ora-spinner.mjs'], pty: true, schedule: after('ctrl-c', { afterMs: 400 }), normalize }, { kind: 'interrupted', signal: 'SIGINT' });
    expect(c.plain.code).toBe(130); // script -e: the child died by SIGINT
  });

  it('start-server-and-test (real CLI from npm): SIGINT to the group, SIGTERM to the CLI', async () => {
    for (const [sig, target] of [['SIGINT', 'group'], ['SIGTERM', 'process']] as const) {
      const port = await freePort();
      const server = `node -e "require('http').createServer((q,s)=>s.end('ok')).listen(${port},'127.0.0.1')"`;
      const before = new Set(roots().map((s) => s.traceId));
      const c = await compareRuns({
        command: path.join(BIN, 'start-server-and-test'),
        args: [server, `http://127.0.0.1:${port}`, 'node wait.js'],
        cwd: DIR,
        env: h.env,
        schedule: after(sig, { target, afterMs: 300 }),
      });
      table.push(tableRow(`start-server-and-test, ${sig} to ${target}`, c));
      expect(c.diffs).toEqual([]);
      expect(c.preloaded.survived).toBe(false);
      // Every preloaded node process of the tree is recorded (the CLI, its server, its test command).
      await kickRun();
      const cli = () => roots().find((s) => !before.has(s.traceId) && s.resource['service.name'] === 'start-server-and-test');
      await h.receiver.waitFor(() => !!cli(), 15_000);
      // signal-exit (through execa) re-raised the signal: the exit path saw it.
      expect(cli()!.attributes['devtool.command.outcome']).toBe('interrupted');
      expect(cli()!.attributes['devtool.process.signal']).toBe(sig);
    }
  });
});
