/**
 * End to end per example: the example runs as a real process under the preload (as its root npm
 * script runs it), the detached shipper delivers, and we assert the spans and metrics that reach
 * the OTLP receiver.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver, type FlatMetric, type FlatSpan, type Receiver } from '../support/otlp-receiver';
import { REPO_ROOT, linkPackage, listSpool, makeSandbox, preloadArgs, runFixture, type Sandbox } from '../support/run-fixture';

const EXAMPLES = path.join(REPO_ROOT, 'examples');
linkPackage(EXAMPLES); // what `node examples/link.mjs` does for the npm scripts

const open: Array<{ receiver: Receiver; sb: Sandbox }> = [];
afterEach(async () => {
  for (const { receiver, sb } of open.splice(0)) {
    await receiver.close();
    sb.cleanup();
  }
});

async function setup(extra: Record<string, string> = {}) {
  const receiver = await startReceiver();
  const sb = makeSandbox();
  open.push({ receiver, sb });
  return { receiver, env: { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...extra } };
}

const root = (spans: FlatSpan[]) => spans.find((s) => s.parentSpanId === undefined);
const sumOf = (ms: FlatMetric[], name: string, pred: (a: Record<string, unknown>) => boolean = () => true) =>
  ms
    .filter((m) => m.name === name)
    .flatMap((m) => m.points)
    .filter((p) => pred(p.attributes))
    .reduce((a, p) => a + (p.value ?? p.sum ?? 0), 0);
const countOf = (ms: FlatMetric[], name: string) =>
  ms
    .filter((m) => m.name === name)
    .flatMap((m) => m.points)
    .reduce((a, p) => a + (p.count ?? 0), 0);

describe('examples/cli-tool', () => {
  const script = path.join(EXAMPLES, 'cli-tool', 'cli.js');

  it('greet: one `cli-tool greet` span, exit 0; the argument value is never sent', async () => {
    const { receiver, env } = await setup();
    const res = await runFixture({ script, args: ['greet', 'Zanzibar-Q', '--shout'], mode: 'require', env });
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('HELLO, ZANZIBAR-Q!\n');
    await receiver.waitFor(() => !!root(receiver.spans()) && receiver.metrics().length > 0);
    const span = root(receiver.spans())!;
    expect(span.name).toBe('cli-tool greet');
    expect(span.attributes['process.exit.code']).toBe(0);
    expect(span.attributes['devtool.command.outcome']).toBe('success');
    expect(span.resource['service.name']).toBe('cli-tool');
    expect(span.resource['service.version']).toBe('1.0.0');
    expect(sumOf(receiver.metrics(), 'devtool.command.runs')).toBe(1);
    expect(receiver.rawBodiesText()).not.toMatch(/zanzibar/i);
  });

  it('deploy fails: exit 1, error.type ConfigError on the span and the runs metric, no message', async () => {
    const { receiver, env } = await setup();
    const res = await runFixture({ script, args: ['deploy'], mode: 'require', env });
    expect(res.code).toBe(1);
    await receiver.waitFor(() => !!root(receiver.spans()) && receiver.metrics().length > 0);
    const span = root(receiver.spans())!;
    expect(span.name).toBe('cli-tool deploy');
    expect(span.attributes['error.type']).toBe('ConfigError');
    expect(span.status.code).toBe(2);
    expect(sumOf(receiver.metrics(), 'devtool.command.runs', (a) => a['error.type'] === 'ConfigError')).toBe(1);
    expect(receiver.rawBodiesText()).not.toContain('missing deploy target');
  });

  it('build: compile and bundle steps under the command span', async () => {
    const { receiver, env } = await setup();
    const res = await runFixture({ script, args: ['build'], mode: 'require', env });
    expect(res.code).toBe(0);
    await receiver.waitFor(() => receiver.spans().length >= 3 && receiver.metrics().length > 0);
    const spans = receiver.spans();
    const r = root(spans)!;
    const steps = spans.filter((s) => s.name.startsWith('step ')).map((s) => [s.name, s.parentSpanId, s.attributes['devtool.step.outcome']]);
    expect(steps.sort()).toEqual([
      ['step bundle', r.spanId, 'success'],
      ['step compile', r.spanId, 'success'],
    ]);
    expect(countOf(receiver.metrics(), 'devtool.step.duration')).toBe(2);
  });

  it('telemetry status / disable: the consent CLI mounted under the tool, and its choice honoured', async () => {
    const { receiver, env } = await setup();
    const status = await runFixture({ script, args: ['telemetry', 'status', '--explain'], mode: 'none', env });
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/cli-tool/);
    const disable = await runFixture({ script, args: ['telemetry', 'disable'], mode: 'none', env });
    expect(disable.code).toBe(0);
    const after = await runFixture({ script, args: ['telemetry', 'status'], mode: 'none', env });
    expect(after.stdout).toMatch(/OFF/i);

    // A preloaded run after `cli-tool telemetry disable`: nothing spooled, no connection made.
    const run = await runFixture({ script, args: ['greet', 'x'], mode: 'require', env });
    expect(run.code).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.connections).toBe(0);
    expect(listSpool(env)).toEqual([]);
  });
});

describe('examples/ai-agent', () => {
  it('plan, edit, run-tests: one captured openai request per step, exact tokens, prompt counted not stored', async () => {
    const { receiver, env } = await setup();
    const task = 'fix the failing parser test';
    const res = await runFixture({ script: path.join(EXAMPLES, 'ai-agent', 'agent.mjs'), args: task.split(' '), mode: 'import', env });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('tests: Tests: all 12 passed.');
    await receiver.waitFor(() => !!root(receiver.spans()) && receiver.metrics().some((m) => m.name === 'gen_ai.client.token.usage'));
    const spans = receiver.spans();
    const r = root(spans)!;
    expect(r.resource['service.name']).toBe('ai-agent');
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const llm = spans.filter((s) => s.kind === 3 && s.attributes['gen_ai.operation.name'] !== undefined);
    // The other CLIENT span: the agent starting its local fake LLM server (a child process).
    expect(spans.filter((s) => s.kind === 3 && s.attributes['process.executable.name'] === 'node')).toHaveLength(1);
    expect(llm.map((s) => s.name)).toEqual(['chat gpt-4o-mini', 'chat gpt-4o-mini', 'chat gpt-4o-mini']);
    const parents = llm.map((s) => byId.get(s.parentSpanId!)!);
    expect(parents.map((p) => p.name).sort()).toEqual(['step edit', 'step plan', 'step run-tests']);
    for (const p of parents) expect(p.parentSpanId).toBe(r.spanId);
    // Word counts of the conversation each step sends (see fake-llm-server.mjs).
    const tokens = Object.fromEntries(llm.map((s) => [byId.get(s.parentSpanId!)!.name, [s.attributes['gen_ai.usage.input_tokens'], s.attributes['gen_ai.usage.output_tokens']]]));
    expect(tokens).toEqual({ 'step plan': [14, 12], 'step edit': [27, 9], 'step run-tests': [27, 4] });
    const ms = receiver.metrics();
    expect(sumOf(ms, 'gen_ai.client.token.usage', (a) => a['gen_ai.token.type'] === 'input')).toBe(68);
    expect(sumOf(ms, 'gen_ai.client.token.usage', (a) => a['gen_ai.token.type'] === 'output')).toBe(25);
    expect(countOf(ms, 'gen_ai.client.operation.duration')).toBe(3);
    expect(sumOf(ms, 'devtool.user_input.count')).toBe(1);
    const text = receiver.rawBodiesText();
    expect(text).not.toContain('failing parser');
    expect(text).not.toContain('careful coding agent');
    expect(text).not.toContain('trim the input');
  });
});

describe('examples/ai-agent tool-agent', () => {
  it('one step shows model call -> MCP tool calls (with the model\'s call ids) -> model call; no tool content', async () => {
    const { receiver, env } = await setup();
    const res = await runFixture({ script: path.join(EXAMPLES, 'ai-agent', 'tool-agent.mjs'), args: ['fix', 'the', 'parser'], mode: 'import', env });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('tool:  run_tests -> 1 failing in src/parser.js');
    expect(res.stdout).toContain('answer: Edit: change parse() to trim the input before splitting.');
    await receiver.waitFor(() => !!root(receiver.spans()) && receiver.metrics().some((m) => m.name === 'gen_ai.client.token.usage'));
    const spans = receiver.spans();
    const fix = spans.find((s) => s.name === 'step fix')!;
    expect(fix.parentSpanId).toBe(root(spans)!.spanId);
    const inStep = spans.filter((s) => s.parentSpanId === fix.spanId).sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1));
    expect(inStep.map((s) => s.name)).toEqual(['chat gpt-4o-mini', 'execute_tool read_file', 'execute_tool run_tests', 'chat gpt-4o-mini']);
    // Sequential: each starts after the previous one ended.
    for (let i = 1; i < inStep.length; i++) expect(BigInt(inStep[i]!.startTimeUnixNano) >= BigInt(inStep[i - 1]!.endTimeUnixNano)).toBe(true);
    expect(inStep[0]!.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_calls']);
    expect(inStep[3]!.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(inStep.slice(1, 3).map((s) => s.attributes['gen_ai.tool.call.id'])).toEqual(['call_1', 'call_2']);
    expect(countOf(receiver.metrics(), 'gen_ai.client.operation.duration')).toBe(2);
    expect(sumOf(receiver.metrics(), 'gen_ai.client.token.usage', (a) => a['gen_ai.token.type'] === 'output')).toBe(10 + 9);
    const text = receiver.rawBodiesText();
    for (const content of ['kept the spaces', 'src/parser.js', 'careful coding agent', 'trim the input']) expect(text).not.toContain(content);
  });
});

describe('examples/server', () => {
  it('flushes periodically while running, then ends the run cleanly on SIGTERM', async () => {
    const { receiver, env } = await setup({ DEVTOOL_TELEMETRY_FLUSH_INTERVAL: '1000' });
    const { args, env: childEnv } = preloadArgs('require', env);
    const child = spawn(process.execPath, [...args, path.join(EXAMPLES, 'server', 'server.js')], {
      cwd: path.join(EXAMPLES, 'server'),
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 15_000;
      while (!/listening (\S+)/.test(stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const url = /listening (\S+)/.exec(stdout)![1]!;
      expect((await fetch(`${url}/work`)).status).toBe(200);
      expect((await fetch(`${url}/fail`)).status).toBe(502);

      // Delivered while the process is still running: the periodic flush.
      await receiver.waitFor(() => receiver.spans().filter((s) => s.name === 'step work').length === 2, 15_000);
      expect(child.exitCode).toBeNull();
      expect(root(receiver.spans())).toBeUndefined();
      const steps = receiver.spans().filter((s) => s.name === 'step work');
      expect(steps.map((s) => s.attributes['devtool.step.outcome']).sort()).toEqual(['failure', 'success']);
      expect(steps.find((s) => s.attributes['devtool.step.outcome'] === 'failure')!.attributes['error.type']).toBe('UpstreamError');

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await receiver.waitFor(() => !!root(receiver.spans()) && receiver.metrics().some((m) => m.name === 'devtool.command.runs'));
      const r = root(receiver.spans())!;
      expect(r.name).toBe('example-server serve');
      expect(r.attributes['devtool.command.outcome']).toBe('success');
      expect(r.attributes['process.exit.code']).toBe(0);
      // Same trace as the run (the steps may sit under an HTTP server span, itself under the run).
      expect(steps.every((s) => s.traceId === r.traceId)).toBe(true);
      expect(sumOf(receiver.metrics(), 'devtool.command.runs')).toBe(1);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
