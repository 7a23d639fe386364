/**
 * MCP tool calls: the real `@modelcontextprotocol/sdk` Client calling a tiny MCP server (built with
 * the same SDK, fixtures/mcp-app/server.mjs) over stdio, preloaded only. Each callTool is one
 * `execute_tool {tool}` span nested in the step that made it, with its outcome; arguments and
 * results only at `full`; the app's output byte-identical to a plain run.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlatSpan } from '../support/otlp-receiver';
import { rootSpan, runApp, runPlainApp, type FakeLlm } from './harness';

const DIR = path.join(__dirname, 'fixtures', 'mcp-app');
// The MCP app talks to no model server; runApp only passes its URL along.
const NO_LLM = { url: 'http://127.0.0.1:9', requests: [], close: async () => {} } satisfies FakeLlm;

const toolSpans = (spans: FlatSpan[]) => spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'execute_tool');
const opts = (entry: 'cjs' | 'mjs', level?: 'usage' | 'full') =>
  ({
    dir: DIR,
    entry,
    scenario: 'tools',
    level,
    env: { USE_API: '1' },
    waitFor: (s: FlatSpan[]) => s.some((x) => x.parentSpanId === undefined) && toolSpans(s).length >= 6,
  }) as const;

describe.each(['mjs', 'cjs'] as const)('%s app calling MCP tools over stdio', (entry) => {
  it('one execute_tool span per call, nested in its step, with outcome; same output', async () => {
    const plain = await runPlainApp(NO_LLM, opts(entry));
    const { receiver: r, out, result } = await runApp(NO_LLM, opts(entry));
    expect(result.code, result.stderr).toBe(0);
    expect(out).toEqual(plain.out);

    const spans = toolSpans(r.spans()).sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1));
    expect(spans.map((s) => s.name)).toEqual([
      'execute_tool add',
      'execute_tool read_note',
      'execute_tool fail',
      'execute_tool crash',
      'execute_tool no_such_tool',
      'execute_tool slow',
    ]);
    const act = r.spans().find((s) => s.name === 'step act')!;
    const fail = r.spans().find((s) => s.name === 'step fail')!;
    expect(act.parentSpanId).toBe(rootSpan(r).spanId);
    expect(spans.slice(0, 2).map((s) => s.parentSpanId)).toEqual([act.spanId, act.spanId]);
    expect(spans.slice(2).every((s) => s.parentSpanId === fail.spanId)).toBe(true);
    for (const s of spans) expect(s.kind).toBe(1); // INTERNAL

    const [add, note, failed, crashed, missing, slow] = spans as [FlatSpan, FlatSpan, FlatSpan, FlatSpan, FlatSpan, FlatSpan];
    expect(add.attributes).toEqual({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'add', 'gen_ai.tool.call.id': 'call_fixture_1' });
    expect(add.status?.code ?? 0).toBe(0);
    expect(note.attributes['gen_ai.tool.call.id']).toBeUndefined();
    for (const s of [failed, crashed, missing]) {
      expect(s.attributes['error.type']).toBe('tool_error');
      expect(s.status?.code).toBe(2);
    }
    expect(slow.attributes['error.type']).toBe('McpError');
    // The 100 ms timeout, not the tool's 2 s.
    expect(slow.durationMs).toBeGreaterThanOrEqual(90);
    expect(slow.durationMs).toBeLessThan(1500);

    const wire = JSON.stringify(r.spans());
    for (const secret of ['TOOL-ARG-2b7c', 'TOOL-RESULT-5d1e', 'gen_ai.tool.call.arguments', 'gen_ai.tool.call.result']) {
      expect(wire).not.toContain(secret);
    }
  });
});

describe('at full', () => {
  it('arguments and results are recorded as JSON (after the sanitizer)', async () => {
    const { receiver: r, result } = await runApp(NO_LLM, opts('mjs', 'full'));
    expect(result.code, result.stderr).toBe(0);
    const spans = toolSpans(r.spans());
    const add = spans.find((s) => s.name === 'execute_tool add')!;
    expect(JSON.parse(String(add.attributes['gen_ai.tool.call.arguments']))).toEqual({ a: 2, b: 3 });
    expect(JSON.parse(String(add.attributes['gen_ai.tool.call.result']))).toEqual({ sum: 5 });
    const note = spans.find((s) => s.name === 'execute_tool read_note')!;
    expect(String(note.attributes['gen_ai.tool.call.arguments'])).toContain('TOOL-ARG-2b7c');
    expect(String(note.attributes['gen_ai.tool.call.result'])).toContain('TOOL-RESULT-5d1e');
  });
});

describe('tool-call ids', () => {
  // Real shapes: OpenAI chat (`call_` + 24 base62) and responses (`fc_`), Anthropic (`toolu_01` + base62),
  // Bedrock (`tooluse_`), Mistral (9 base62), an agent framework's labelled and bare uuid, a JSON-RPC number-like id.
  const KEPT = [
    'call_Yk5ZV1bO3d9kXjQ2rNw8TmHa',
    'fc_68a1f2c3d4e5f60718293a4b5c6d7e8f0a1b2c3d4e5f6a7b',
    'toolu_01A09q90qw90lq917835lq9',
    'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q',
    'D681PevKs',
    'adk-3f1c9a7e-5b2d-4e8f-9a6c-1d2e3f4a5b6c',
    '3f1c9a7e-5b2d-4e8f-9a6c-1d2e3f4a5b6c',
    '42',
  ];
  // Not ids: a path, an e-mail, vendor keys, an IP address, a phone number, text, a bare random token
  // and one under a credential label (indistinguishable from keys: only a word label marks an issued id).
  const DROPPED = [
    'jeiE6FOF0ONxX828DQz0Dprb',
    'token_Yk5ZV1bO3d9kXjQ2rNw8TmHa',
    '/home/alice/projects/secret-plan.md',
    'alice@example.com',
    'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z',
    'ghp_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb3d',
    'AKIAIOSFODNN7EXAMPLE',
    '10.1.2.3',
    '4155550199',
    'call me maybe',
  ];

  it('provider ids are kept as they are; values that only pretend to be ids are dropped', async () => {
    const ids = [...KEPT, ...DROPPED];
    const { receiver: r, result } = await runApp(NO_LLM, {
      dir: DIR,
      entry: 'mjs',
      scenario: 'call-ids',
      env: { USE_API: '1', CALL_IDS: JSON.stringify(ids) },
      waitFor: (s: FlatSpan[]) => s.some((x) => x.parentSpanId === undefined) && toolSpans(s).length >= ids.length,
    });
    expect(result.code, result.stderr).toBe(0);
    const spans = toolSpans(r.spans()).sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1));
    expect(spans).toHaveLength(ids.length);
    const got = spans.map((s) => s.attributes['gen_ai.tool.call.id']);
    expect(got).toEqual([...KEPT, ...DROPPED.map(() => undefined)]);
    const wire = JSON.stringify(r.spans());
    for (const bad of ['alice', 'sk-proj-', 'ghp_', 'AKIA', '10.1.2.3', '4155550199', 'jeiE6FOF', 'token_']) expect(wire).not.toContain(bad);
  });
});
