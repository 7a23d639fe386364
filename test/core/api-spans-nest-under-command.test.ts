/** The API in a real preloaded process: steps and LLM requests nest under the command span. */
import { describe, expect, it } from 'vitest';
import type { FlatSpan } from '../support/otlp-receiver';
import { harnessPerFile, runAndCollect } from './helpers';

const h = harnessPerFile();

const byName = (spans: FlatSpan[], name: string): FlatSpan => {
  const s = spans.find((x) => x.name === name);
  if (!s) throw new Error(`no span ${name} in ${spans.map((x) => x.name).join(', ')}`);
  return s;
};

describe.each([
  ['fixture-tool/cli.js', 'require'],
  ['fixture-esm/cli.mjs', 'import'],
] as const)('%s (%s)', (script, mode) => {
  it('records development steps as nested spans with outcome, and counts user inputs', async () => {
    const { root, spans, run } = await runAndCollect(h, { script, args: ['step'], mode });
    expect(run.code).toBe(0);
    await h.receiver.waitFor(() => spans.length >= 5, 5000);
    const plan = byName(spans, 'step plan');
    const edit = byName(spans, 'step edit');
    const tests = byName(spans, 'step run-tests');
    const lint = byName(spans, 'step lint');
    expect(plan.parentSpanId).toBe(root.spanId);
    expect(edit.parentSpanId).toBe(plan.spanId);
    expect(tests.parentSpanId).toBe(root.spanId);
    expect(plan.attributes['devtool.step.outcome']).toBe('success');
    expect(tests.attributes['devtool.step.outcome']).toBe('failure');
    expect(tests.attributes['error.type']).toBe('SyntaxError');
    expect(lint.attributes['error.type']).toBe('RangeError');
    expect(plan.durationMs).toBeGreaterThanOrEqual(edit.durationMs);

    // Exact counts: the metric streams of this sandbox hold only this file's step runs.
    const sum = (kind: string) =>
      h.receiver
        .metrics()
        .filter((m) => m.name === 'devtool.user_input.count' && m.resource['service.name'] === script.split('/')[0])
        .flatMap((m) => m.points)
        .filter((p) => p.attributes['devtool.user_input.kind'] === kind)
        .reduce((a, p) => Math.max(a, Number(p.value)), 0);
    await h.receiver.waitFor(() => sum('prompt') === 2 && sum('confirmation') === 1, 10_000);
  });

  it('records LLM requests as GenAI client spans with tokens, under the step that made them', async () => {
    const { spans, root } = await runAndCollect(h, { script, args: ['llm'], mode });
    const generate = byName(spans, 'step generate');
    const llm = spans.filter((s) => s.name === 'chat gpt-4o-mini');
    expect(llm).toHaveLength(2);
    const ok = llm.find((s) => !s.attributes['error.type'])!;
    const failed = llm.find((s) => s.attributes['error.type'])!;
    expect(ok.parentSpanId).toBe(generate.spanId);
    expect(ok.kind).toBe(3);
    expect(ok.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 34,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(failed.attributes['error.type']).toBe('RateLimitError');
    expect(failed.parentSpanId).toBe(root.spanId);
    const claude = byName(spans, 'chat claude-sonnet-4');
    expect(claude.attributes['gen_ai.usage.input_tokens']).toBe(5);
    expect(claude.durationMs).toBeGreaterThanOrEqual(119);
    const text = h.receiver.rawBodiesText();
    expect(text).not.toContain('PROMPT-SECRET');
    expect(text).not.toContain('COMPLETION-SECRET');
  });
});
