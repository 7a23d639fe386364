// Process trees as real processes: a preloaded process hands its trace context, session and
// notice state to the children it starts (through the environment they inherit), records a CLIENT
// span for each child, and joins a TRACEPARENT it finds; the app's own process.env never changes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logFile, sessionFile } from '../../src/session/store';
import type { FlatSpan } from '../support/otlp-receiver';
import { commandOf, FIXTURES, isCommand, parentOf, renderTree, SPAWNER, startTrees, TOOL_A, type Trees } from './helpers';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const HEX32 = /^[0-9a-f]{32}$/;

let t: Trees;
beforeAll(async () => {
  t = await startTrees();
});
afterAll(async () => t?.close());

function ctxLine(stdout: string): { tp: string | null; ts: string | null; bg: string | null; tree: string | null; link: string | null } {
  const line = stdout.split('\n').find((l) => l.startsWith('tool-a ctx '));
  if (!line) throw new Error(`no tool-a line in:\n${stdout}`);
  return JSON.parse(line.slice('tool-a ctx '.length));
}

function oneTrace(spans: FlatSpan[]): void {
  expect(new Set(spans.map((s) => s.traceId)).size, renderTree(spans)).toBe(1);
  expect(spans.filter((s) => !s.parentSpanId), renderTree(spans)).toHaveLength(1);
}

describe('a preloaded process starting children', () => {
  it('spawn: the child command span is a child of the caller CLIENT span, which is a child of the caller command span', async () => {
    const { run, spans } = await t.run(SPAWNER, ['spawn'], {}, { commands: 2 });
    expect(run.code).toBe(0);
    oneTrace(spans);
    const top = commandOf(spans, 'spawner');
    const child = commandOf(spans, 'tool-a');
    const client = parentOf(spans, child)!;
    expect(client.kind).toBe(3); // CLIENT
    expect(client.name).toBe('node');
    expect(client.attributes['process.executable.name']).toBe('node');
    expect(client.attributes['process.exit.code']).toBe(0);
    expect(client.attributes['error.type']).toBeUndefined();
    expect(typeof client.attributes['process.pid']).toBe('number');
    expect(client.parentSpanId).toBe(top.spanId);
    expect(top.parentSpanId).toBeUndefined();
    // What crossed the boundary: TRACEPARENT pointing at the CLIENT span, sampled.
    expect(ctxLine(run.stdout).tp).toBe(`00-${top.traceId}-${client.spanId}-01`);
    // The app's own process.env is untouched.
    expect(run.stdout).toContain('spawner env unchanged [null,null,null]');
  });

  it('one session per tree: children carry the top process session id, and its session log counts each process once', async () => {
    const file = sessionFile(t.env, 'spawner');
    const runsIn = (id: string): number => {
      try {
        return fs.readFileSync(logFile(file, id), 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[0])).reduce((a, b) => a + b, 0);
      } catch {
        return 0;
      }
    };
    const head = (): string | undefined => {
      try {
        return (JSON.parse(fs.readFileSync(file, 'utf8')) as { id: string }).id;
      } catch {
        return undefined;
      }
    };
    const before = head();
    const countBefore = before ? runsIn(before) : 0;
    const { spans } = await t.run(SPAWNER, ['two'], {}, { commands: 3 });
    const ids = new Set(spans.filter(isCommand).map((s) => s.resource['session.id']));
    expect(ids.size, renderTree(spans)).toBe(1);
    const id = String([...ids][0]);
    expect(head()).toBe(id);
    // The tree adds up in the top-level tool's session log: three processes, three runs.
    expect(runsIn(id) - (before === id ? countBefore : 0)).toBe(3);
    // The children's tools keep no session of their own.
    expect(fs.existsSync(sessionFile(t.env, 'tool-a'))).toBe(false);
    expect(fs.existsSync(sessionFile(t.env, 'tool-b'))).toBe(false);
  });

  it('a failing child: its CLIENT span carries the exit code and error.type', async () => {
    const { spans } = await t.run(SPAWNER, ['two'], {}, { commands: 3 });
    const b = commandOf(spans, 'tool-b');
    const client = parentOf(spans, b)!;
    expect(client.attributes['process.exit.code']).toBe(3);
    expect(client.attributes['error.type']).toBe('_OTHER');
    expect(client.status.code).toBe(2);
    expect(b.attributes['process.exit.code']).toBe(3);
  });

  it('env: { ...process.env, X } passes the context; an environment built from scratch does not get it', async () => {
    const spread = await t.run(SPAWNER, ['env-spread'], {}, { commands: 2 });
    oneTrace(spread.spans);
    expect(ctxLine(spread.run.stdout).tp).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    const scratch = await t.run(SPAWNER, ['env-scratch'], {}, { commands: 2 });
    const ctx = ctxLine(scratch.run.stdout);
    expect(ctx).toEqual({ tp: null, ts: null, bg: null, tree: null, link: null });
    // Two traces: the child, preloaded through the NODE_OPTIONS the app kept, starts its own.
    const top = commandOf(scratch.spans, 'spawner');
    const child = commandOf(scratch.spans, 'tool-a');
    expect(child.traceId).not.toBe(top.traceId);
    expect(child.parentSpanId).toBeUndefined();
    // The caller still records the CLIENT span for it.
    expect(scratch.spans.some((s) => s.kind === 3 && s.parentSpanId === top.spanId)).toBe(true);
  });

  it('a TRACEPARENT the app set itself is kept', async () => {
    const { run } = await t.run(SPAWNER, ['own-traceparent'], {}, { commands: 2 });
    expect(ctxLine(run.stdout).tp).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  });

  it('fork, exec (promisified), execFile, execFileSync, spawnSync and execSync all carry the context and get CLIENT spans', async () => {
    const fork = await t.run(SPAWNER, ['fork'], {}, { commands: 2 });
    oneTrace(fork.spans);
    expect(parentOf(fork.spans, commandOf(fork.spans, 'tool-a'))!.name).toBe('node');

    const exec = await t.run(SPAWNER, ['exec'], {}, { commands: 3 });
    oneTrace(exec.spans);
    expect(parentOf(exec.spans, commandOf(exec.spans, 'tool-a'))!.kind).toBe(3);
    expect(parentOf(exec.spans, commandOf(exec.spans, 'tool-b'))!.attributes['process.exit.code']).toBe(3);
    // exec() goes through execFile() inside node: one CLIENT span per child, not two.
    expect(exec.spans.filter((s) => s.kind === 3)).toHaveLength(2);

    const sync = await t.run(SPAWNER, ['sync'], {}, { commands: 4 });
    expect(sync.run.stdout).toContain('execSync status 3');
    oneTrace(sync.spans);
    const clients = sync.spans.filter((s) => s.kind === 3);
    expect(clients.map((c) => c.attributes['process.exit.code']).sort()).toEqual([0, 3, 3]);
    for (const cmd of sync.spans.filter(isCommand).filter((s) => s.resource['service.name'] !== 'spawner')) {
      expect(parentOf(sync.spans, cmd)!.kind).toBe(3);
    }
  });

  it('a child killed by SIGKILL (no JS at its end) is finalized under the CLIENT span, in the same trace, ending near its death', async () => {
    const started = Date.now();
    const { run, spans } = await t.run(SPAWNER, ['killed-child'], { KILL_AFTER_MS: '3000' }, { commands: 2 });
    const wall = Date.now() - started;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('child exit null'); // killed: no exit code
    oneTrace(spans);
    const child = commandOf(spans, 'tool-a');
    expect(child.attributes['devtool.command.outcome']).toBe('abnormal');
    const client = parentOf(spans, child)!;
    expect(client.kind).toBe(3); // CLIENT
    expect(client.attributes['error.type']).toBe('SIGKILL');
    expect(client.parentSpanId).toBe(commandOf(spans, 'spawner').spanId);
    // Died 3 s after start; the heartbeat touched its record at 1 and 2 s: it ends no earlier than
    // the last beat and no later than its death (the recorded end is a lower bound).
    expect(child.durationMs).toBeGreaterThanOrEqual(1_500);
    expect(child.durationMs).toBeLessThanOrEqual(Math.min(client.durationMs + 50, wall));
  });

  it('a grandchild sits under its parent, under the top process: one root', async () => {
    const { spans } = await t.run(SPAWNER, ['grandchild'], {}, { commands: 3 });
    oneTrace(spans);
    const cmds = spans.filter((s) => isCommand(s) && s.resource['service.name'] === 'spawner');
    expect(cmds).toHaveLength(2);
    const top = cmds.find((s) => !s.parentSpanId)!;
    const middle = cmds.find((s) => s.parentSpanId)!;
    expect(parentOf(spans, parentOf(spans, middle)!)!.spanId).toBe(top.spanId);
    const leaf = commandOf(spans, 'tool-a');
    expect(parentOf(spans, parentOf(spans, leaf)!)!.spanId).toBe(middle.spanId);
  });

  it('a child that is not preloaded passes the context on unchanged: its own child joins under the caller CLIENT span', async () => {
    const { spans } = await t.run(SPAWNER, ['not-preloaded'], {}, { commands: 2 });
    oneTrace(spans);
    const top = commandOf(spans, 'spawner');
    const leaf = commandOf(spans, 'tool-a');
    const client = parentOf(spans, leaf)!;
    expect(client.kind).toBe(3);
    expect(client.parentSpanId).toBe(top.spanId);
  });

  it('a detached child starts its own trace, linked to the span that started it; the caller records no CLIENT span', async () => {
    const { spans } = await t.run(SPAWNER, ['detached'], {}, { commands: 2 });
    const top = commandOf(spans, 'spawner');
    const child = commandOf(spans, 'tool-a');
    expect(child.traceId).not.toBe(top.traceId);
    expect(child.parentSpanId).toBeUndefined();
    expect(child.links).toEqual([expect.objectContaining({ traceId: top.traceId, spanId: top.spanId })]);
    expect(spans.filter((s) => s.kind === 3)).toHaveLength(0);
    // Same session as the tree that started it.
    expect(child.resource['session.id']).toBe(top.resource['session.id']);
  });

  it('at level minimal: no CLIENT spans (usage records), but the context still passes: the child sits under the command span', async () => {
    const { run, spans } = await t.run(SPAWNER, ['spawn'], { DEVTOOL_TELEMETRY_LEVEL: 'minimal' }, { commands: 2 });
    oneTrace(spans);
    const top = commandOf(spans, 'spawner');
    expect(spans.filter((s) => s.kind === 3)).toHaveLength(0);
    expect(commandOf(spans, 'tool-a').parentSpanId).toBe(top.spanId);
    expect(ctxLine(run.stdout).tp).toBe(`00-${top.traceId}-${top.spanId}-01`);
  });

  it('a program that cannot start: the CLIENT span says ENOENT, the app still gets its error event', async () => {
    const { run, spans } = await t.run(SPAWNER, ['missing'], {}, { commands: 1 });
    expect(run.stdout).toContain('error ENOENT');
    const client = spans.find((s) => s.kind === 3)!;
    expect(client.attributes['error.type']).toBe('ENOENT');
    expect(client.name).toBe('devtool-no-such-program');
  });
});

describe('step() owns the processes it starts', () => {
  it('each child is under the CLIENT span under its step, under the command span', async () => {
    const { spans } = await t.run(SPAWNER, ['steps'], {}, { commands: 3 });
    oneTrace(spans);
    const top = commandOf(spans, 'spawner');
    for (const [tool, stepName] of [
      ['tool-a', 'step lint'],
      ['tool-b', 'step run-tests'],
    ] as const) {
      const client = parentOf(spans, commandOf(spans, tool))!;
      const step = parentOf(spans, client)!;
      expect(step.name).toBe(stepName);
      expect(step.parentSpanId).toBe(top.spanId);
    }
  });
});

describe('ES modules', () => {
  it("named imports from 'node:child_process' (as execa does) are covered: the step owns the child", async () => {
    const { run, spans } = await t.run(path.join(FIXTURES, 'spawner', 'esm.mjs'), [], {}, { commands: 3 });
    expect(run.code).toBe(0);
    oneTrace(spans);
    const top = commandOf(spans, 'spawner');
    for (const [tool, stepName] of [
      ['tool-a', 'step run-tests'],
      ['tool-b', 'step lint'],
    ] as const) {
      const client = parentOf(spans, commandOf(spans, tool))!;
      expect(client.kind).toBe(3);
      const step = parentOf(spans, client)!;
      expect(step.name).toBe(stepName);
      expect(step.parentSpanId).toBe(top.spanId);
    }
  });
});

describe('a TRACEPARENT from outside (CI, an editor, a user)', () => {
  it('sampled: the command span joins that trace as a child of the given span, and children follow', async () => {
    const { run, spans } = await t.run(SPAWNER, ['spawn'], { TRACEPARENT: `00-${TRACE}-${SPAN}-01`, TRACESTATE: 'vendor=opaque,other=1', BAGGAGE: 'build.id=42' }, { commands: 2 });
    const top = commandOf(spans, 'spawner');
    expect(top.traceId).toBe(TRACE);
    expect(top.parentSpanId).toBe(SPAN);
    expect(commandOf(spans, 'tool-a').traceId).toBe(TRACE);
    const ctx = ctxLine(run.stdout);
    expect(ctx.ts).toBe('vendor=opaque,other=1');
    expect(ctx.bg).toBe('build.id=42');
    // The app still sees exactly what it was started with.
    expect(run.stdout).toContain(`spawner env unchanged ["00-${TRACE}-${SPAN}-01"`);
  });

  it('unsampled: the tree records no spans, children inherit the unsampled flag, metrics still arrive', async () => {
    const unsampledTrace = 'aaaabbbbccccddddeeeeffff00001111';
    const runPoints = () =>
      t.receiver.metrics().filter((m) => m.name === 'devtool.command.runs' && ['spawner', 'tool-a'].includes(String(m.resource['service.name']))).length;
    const before = runPoints();
    const { run, spans } = await t.run(SPAWNER, ['spawn'], { TRACEPARENT: `00-${unsampledTrace}-${SPAN}-00` });
    expect(run.code).toBe(0);
    expect(ctxLine(run.stdout).tp).toMatch(new RegExp(`^00-${unsampledTrace}-[0-9a-f]{16}-00$`));
    expect(spans.filter((s) => s.traceId === unsampledTrace)).toHaveLength(0);
    // Both processes still delivered their run metrics (one export per process at least).
    await t.receiver.waitFor(() => runPoints() >= before + 2, 20_000);
  });

  it('OTEL_PROPAGATORS=none ignores it and hands nothing down; =baggage only passes baggage', async () => {
    const none = await t.run(TOOL_A, [], { TRACEPARENT: `00-${TRACE}-${SPAN}-01`, OTEL_PROPAGATORS: 'none' }, { commands: 1 });
    const a = commandOf(none.spans, 'tool-a');
    expect(a.traceId).not.toBe(TRACE);
    expect(a.parentSpanId).toBeUndefined();

    const nested = await t.run(SPAWNER, ['spawn'], { OTEL_PROPAGATORS: 'baggage' }, { commands: 2 });
    expect(ctxLine(nested.run.stdout).tp).toBeNull();
    expect(commandOf(nested.spans, 'tool-a').traceId).not.toBe(commandOf(nested.spans, 'spawner').traceId);
  });

  it('garbage values are ignored: a new trace, the same output, never a crash', async () => {
    const garbage = [
      'garbage',
      `00-${'0'.repeat(32)}-${SPAN}-01`, // all-zero trace id
      `00-${TRACE}-${'0'.repeat(16)}-01`, // all-zero span id
      `ff-${TRACE}-${SPAN}-01`, // version ff
      `00-${TRACE.toUpperCase()}-${SPAN}-01`, // upper-case hex
      `00-${TRACE}-${SPAN}-01-extra`, // version 00 has no more fields
      `00-${TRACE}-${SPAN}`,
      'x'.repeat(5000),
    ];
    for (const tp of garbage) {
      const { run, spans } = await t.run(TOOL_A, [], { TRACEPARENT: tp, TRACESTATE: '===,,,', BAGGAGE: '\u0001bad' }, { commands: 1 });
      expect(run.code, tp).toBe(0);
      expect(run.stderr.replace(/devtool-telemetry: [\s\S]*This notice is shown once\.\n/, ''), tp).toBe('');
      const a = commandOf(spans, 'tool-a');
      expect(a.parentSpanId, tp).toBeUndefined();
      expect(a.traceId).toMatch(HEX32);
      expect(a.traceId).not.toBe(TRACE);
    }
  }, 120_000);
});

describe('the first-run notice in a tree', () => {
  it('only the top-level process prints it; children started by it stay silent', async () => {
    const sb = (await import('../support/run-fixture')).makeSandbox();
    try {
      const env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: t.receiver.url };
      const { runFixture } = await import('../support/run-fixture');
      const r = await runFixture({ script: SPAWNER, args: ['two'], env, mode: 'node-options', cwd: sb.home });
      const notices = r.stderr.split('\n').filter((l) => l.startsWith('devtool-telemetry: '));
      expect(notices).toEqual([expect.stringContaining('devtool-telemetry: spawner collects')]);
      expect(r.stdout).not.toContain('devtool-telemetry');
    } finally {
      sb.cleanup();
    }
  });
});

describe('a top-level process with telemetry off still speaks for its tree', () => {
  // The spawner is off by a choice its children do not share (its own variable, or the user's choice
  // for it alone); tool-a and tool-b are on by consent. The spawner says nothing, so they must not
  // either, and they record only if their own notice was shown before (the notice precedes any send).
  const receivers: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => {
    for (const x of receivers.splice(0)) await x.close();
  });
  async function offTree(extra: Record<string, string>, setup?: (sb: { writeUserConfig(d: unknown): void }) => void) {
    const { makeSandbox, runFixture } = await import('../support/run-fixture');
    const { batchFiles, waitForShipperIdle } = await import('../support/spool-helpers');
    const { startReceiver } = await import('../support/otlp-receiver');
    const sb = makeSandbox();
    const userConfig = path.join(sb.configHome, 'devtool-telemetry', 'config.json');
    setup?.({ writeUserConfig: (d) => (fs.mkdirSync(path.dirname(userConfig), { recursive: true }), fs.writeFileSync(userConfig, JSON.stringify(d))) });
    // A receiver of its own: a late delivery from another test's tree can never count here.
    const rx = await startReceiver();
    receivers.push(rx);
    const env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, ...extra };
    try {
      const r = await runFixture({ script: SPAWNER, args: ['two'], env, mode: 'node-options', cwd: sb.home });
      await waitForShipperIdle(env, 25_000);
      const config = fs.existsSync(userConfig) ? JSON.parse(fs.readFileSync(userConfig, 'utf8')) : {};
      return { r, ctx: ctxLine(r.stdout), spans: () => rx.spans(), waitFor: rx.waitFor.bind(rx), spooled: batchFiles(env), config };
    } finally {
      sb.cleanup();
    }
  }
  const noticeLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('devtool-telemetry: '));

  it('off by its own variable: no child prints a notice, none records (their notices were never shown)', async () => {
    const { r, ctx, spans, spooled, config } = await offTree({ SPAWNER_TELEMETRY_DISABLED: '1' });
    expect(r.code).toBe(0);
    expect(noticeLines(r.stderr)).toEqual([]);
    expect(ctx.tree).toBe('off');
    expect(ctx.tp).toBeNull(); // an off process hands down no trace context
    expect(r.stdout).toContain('spawner env unchanged [null,null,null]');
    await new Promise((res) => setTimeout(res, 500));
    expect(spans()).toEqual([]);
    expect(spooled).toEqual([]);
    expect(config.tools?.['tool-a']?.noticeShownAt).toBeUndefined(); // not marked shown: the notice was not shown
  });

  it("off by the user's choice for it alone: a child whose notice was shown before records, silently; the other does not", async () => {
    const { r, ctx, spans, waitFor } = await offTree({}, (sb) =>
      sb.writeUserConfig({ tools: { spawner: { level: 'off' }, 'tool-a': { noticeShownAt: '2026-01-01T00:00:00.000Z' } } }),
    );
    expect(r.code).toBe(0);
    expect(noticeLines(r.stderr)).toEqual([]);
    expect(ctx.tree).toBe('off');
    await waitFor(() => spans().some(isCommand), 20_000);
    await new Promise((res) => setTimeout(res, 500));
    const services = new Set(spans().filter(isCommand).map((x) => x.resource['service.name']));
    expect(services).toEqual(new Set(['tool-a']));
  });

  it('in CI (a notice every run): children of an off parent record nothing and print nothing', async () => {
    const { r, spans, spooled } = await offTree({ SPAWNER_TELEMETRY_DISABLED: '1', CI: '1' }, (sb) =>
      sb.writeUserConfig({ tools: { 'tool-a': { noticeShownAt: '2026-01-01T00:00:00.000Z' } } }),
    );
    expect(noticeLines(r.stderr)).toEqual([]);
    await new Promise((res) => setTimeout(res, 500));
    expect(spans()).toEqual([]);
    expect(spooled).toEqual([]);
  });

  it('an opt-out every child inherits (DO_NOT_TRACK) needs no marker: nothing is wrapped, nothing recorded', async () => {
    const { r, ctx, spans } = await offTree({ DO_NOT_TRACK: '1' });
    expect(noticeLines(r.stderr)).toEqual([]);
    expect(ctx.tree).toBeNull();
    await new Promise((res) => setTimeout(res, 500));
    expect(spans()).toEqual([]);
  });
});

describe('HTTP request handlers', () => {
  it('step() and child processes inside a handler nest under the request SERVER span', async () => {
    const { run, spans } = await t.run(path.join(FIXTURES, 'http-steps', 'server.js'), [], {}, { commands: 2 });
    expect(run.stdout).toContain('status 200');
    oneTrace(spans);
    const server = spans.find((s) => s.kind === 2)!;
    const step = spans.find((s) => s.name === 'step build-report')!;
    expect(step.parentSpanId, renderTree(spans)).toBe(server.spanId);
    const client = parentOf(spans, commandOf(spans, 'tool-a'))!;
    expect(client.parentSpanId).toBe(step.spanId);
  });
});
