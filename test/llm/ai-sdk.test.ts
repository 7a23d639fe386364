/**
 * The Vercel AI SDK (`ai` 7 + `@ai-sdk/openai`, which calls the API with fetch, not the openai
 * client), preloaded only, against the fake OpenAI server: our telemetry integration turns its
 * model calls into `chat` spans with tokens and metrics, and its tool executions into
 * `execute_tool` spans, nested in the app's step; `telemetry: { isEnabled: false }` is honoured;
 * no content at `usage`; the app's output byte-identical to a plain run.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlatSpan } from '../support/otlp-receiver';
import { COMPLETION, PROMPT, SYSTEM, llmSpans, points, rootSpan, runApp, runPlainApp, tokenSums, fakeLlmPerFile } from './harness';

const DIR = path.join(__dirname, 'fixtures', 'ai-sdk-app');

const llm = fakeLlmPerFile();

const byStart = (a: FlatSpan, b: FlatSpan) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1);
const opts = (scenario: string, waitFor?: (s: FlatSpan[]) => boolean) =>
  ({ dir: DIR, entry: 'mjs', scenario, env: { USE_API: '1' }, ...(waitFor ? { waitFor } : {}) }) as const;
const llmDone = (n: number) => (s: FlatSpan[]) => s.some((x) => x.parentSpanId === undefined) && s.filter((x) => x.attributes['gen_ai.operation.name'] === 'chat').length >= n;

describe('ai 7 with @ai-sdk/openai (ESM app)', () => {
  it.each(['generate', 'stream'])('%s: one chat span in the step, tokens and metrics, same output, no content', async (scenario) => {
    const plain = await runPlainApp(llm, opts(scenario));
    const { receiver: r, out, result } = await runApp(llm, opts(scenario, llmDone(1)));
    expect(result.code, result.stderr).toBe(0);
    expect(out).toEqual(plain.out);
    expect(out.text).toContain(COMPLETION);
    const spans = llmSpans(r);
    expect(spans).toHaveLength(1);
    const step = r.spans().find((s) => s.name === 'step agent')!;
    expect(step.parentSpanId).toBe(rootSpan(r).spanId);
    expect(spans[0]!.parentSpanId).toBe(step.spanId);
    expect(spans[0]!.name).toBe('chat gpt-4o-mini');
    expect(spans[0]!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 5,
      'gen_ai.usage.output_tokens': 12,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(tokenSums(r)).toEqual({ input: 5, output: 12 });
    expect(points(r, 'gen_ai.client.operation.duration')).toHaveLength(1);
    const wire = JSON.stringify({ spans: r.spans(), metrics: r.metrics() });
    for (const secret of [PROMPT, SYSTEM, COMPLETION]) expect(wire).not.toContain(secret);
  });

  it('tools: model call -> tool executions (ids, error class) -> model call, all in the step', async () => {
    const plain = await runPlainApp(llm, opts('tools'));
    const { receiver: r, out, result } = await runApp(llm, opts('tools', llmDone(2)));
    expect(result.code, result.stderr).toBe(0);
    expect(out).toEqual(plain.out);
    expect(out.steps).toBe(2);
    const step = r.spans().find((s) => s.name === 'step agent')!;
    const inStep = r.spans().filter((s) => s.parentSpanId === step.spanId).sort(byStart);
    expect(inStep.map((s) => s.name)).toEqual(['chat gpt-4o-mini', expect.stringMatching(/^execute_tool /), expect.stringMatching(/^execute_tool /), 'chat gpt-4o-mini']);
    const [first, , , second] = inStep as [FlatSpan, FlatSpan, FlatSpan, FlatSpan];
    const tools = Object.fromEntries(inStep.slice(1, 3).map((s) => [s.attributes['gen_ai.tool.name'], s]));
    expect(tools.read_file!.attributes).toEqual({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'read_file', 'gen_ai.tool.call.id': 'call_1' });
    expect(tools.run_tests!.attributes).toMatchObject({ 'gen_ai.tool.call.id': 'call_2', 'error.type': 'RangeError' });
    expect(tools.run_tests!.status.code).toBe(2);
    for (const t of inStep.slice(1, 3)) {
      expect(BigInt(t.startTimeUnixNano) >= BigInt(first.endTimeUnixNano)).toBe(true);
      expect(BigInt(t.endTimeUnixNano) <= BigInt(second.startTimeUnixNano)).toBe(true);
    }
    expect(first.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_calls']);
    expect(first.attributes['gen_ai.usage.output_tokens']).toBe(10);
    expect(points(r, 'gen_ai.client.operation.duration').reduce((n, p) => n + (p.count ?? 0), 0)).toBe(2);
    expect(JSON.stringify(r.spans())).not.toContain('TOOL-RESULT-5d1e');
  });

  it('telemetry: { isEnabled: false } on the call: nothing recorded for it', async () => {
    const plain = await runPlainApp(llm, opts('opt-out'));
    const { receiver: r, out } = await runApp(llm, opts('opt-out'));
    expect(out).toEqual(plain.out);
    expect(r.spans().some((s) => s.name === 'step agent')).toBe(true);
    expect(llmSpans(r)).toHaveLength(0);
    expect(points(r, 'gen_ai.client.token.usage')).toHaveLength(0);
  });
});
