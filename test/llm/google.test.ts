/**
 * The real `@google/genai` client (ESM and CommonJS builds), preloaded only, against the fake
 * Gemini server (fake-gemini.mjs, its wire format incl. SSE streaming): one `generate_content`
 * CLIENT span per request with tokens from usageMetadata, the GenAI metrics, no content at
 * `usage`, and the app's output byte-identical to a plain run.
 */
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { COMPLETION, PROMPT, SYSTEM, llmSpans, points, rootSpan, runApp, runPlainApp, tokenSums, type FakeLlm } from './harness';
import { perFile } from '../support/hooks';

const DIR = path.join(__dirname, 'fixtures', 'google-app');

const gemini = perFile(
  'the fake Gemini server',
  // @ts-expect-error: plain ESM server without types
  async () => ((await import('./fake-gemini.mjs')) as { startFakeGemini(): Promise<FakeLlm> }).startFakeGemini(),
  (g) => g.close(),
);

// Fake server: words. System (1) + "SECRET-PROMPT-7f3a: make a plan" (4) in; the plan reply is 12.
const IN = 5;
const OUT = 12;
const hasLlmSpan = (s: { parentSpanId?: string; attributes: Record<string, unknown> }[]) =>
  s.some((x) => x.parentSpanId === undefined) && s.some((x) => x.attributes['gen_ai.operation.name'] === 'generate_content');

describe.each(['mjs', 'cjs'] as const)('%s app, @google/genai', (entry) => {
  it.each(['generate', 'stream'])('%s: span, tokens from usageMetadata, metrics, same output', async (scenario) => {
    const plain = await runPlainApp(gemini, { dir: DIR, entry, scenario });
    const before = gemini.requests.length;
    const { receiver: r, out, result } = await runApp(gemini, { dir: DIR, entry, scenario, waitFor: hasLlmSpan });
    expect(result.code, result.stderr).toBe(0);
    expect(out).toEqual(plain.out);
    expect(out.text).toContain(COMPLETION);
    const wantPath = scenario === 'stream' ? ':streamGenerateContent?alt=sse' : ':generateContent';
    expect(gemini.requests.slice(before).map((q) => q.path.endsWith(wantPath))).toEqual([true]);

    const spans = llmSpans(r);
    expect(spans).toHaveLength(1);
    const span = spans[0]!;
    expect(span.name).toBe('generate_content gemini-2.5-flash');
    expect(span.parentSpanId).toBe(rootSpan(r).spanId);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.request.model': 'gemini-2.5-flash',
      'gen_ai.response.model': 'gemini-2.5-flash-001',
      'gen_ai.request.max_tokens': 100,
      'gen_ai.request.temperature': 0,
      'gen_ai.usage.input_tokens': IN,
      'gen_ai.usage.output_tokens': OUT,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(tokenSums(r)).toEqual({ input: IN, output: OUT });
    const dur = points(r, 'gen_ai.client.operation.duration');
    expect(dur).toHaveLength(1);
    expect(dur[0]!.attributes).toEqual({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.request.model': 'gemini-2.5-flash',
      'gen_ai.response.model': 'gemini-2.5-flash-001',
    });
    const wire = JSON.stringify({ spans: r.spans(), metrics: r.metrics() });
    for (const secret of [PROMPT, SYSTEM, COMPLETION]) expect(wire).not.toContain(secret);
  });

  it('a 500 from the server: span with the error class, duration metric with error.type, same output', async () => {
    const opts = { dir: DIR, entry, scenario: 'generate', model: 'error-500' } as const;
    const plain = await runPlainApp(gemini, opts);
    const { receiver: r, out } = await runApp(gemini, { ...opts, waitFor: hasLlmSpan });
    expect(out).toEqual(plain.out);
    expect(out).toMatchObject({ error: 'ApiError', status: 500 });
    const [span] = llmSpans(r);
    expect(span!.attributes['error.type']).toBe('ApiError');
    expect(span!.status?.code).toBe(2);
    expect(points(r, 'gen_ai.client.operation.duration')[0]!.attributes['error.type']).toBe('ApiError');
    expect(points(r, 'gen_ai.client.token.usage')).toHaveLength(0);
  });
});
