/**
 * Clients reached indirectly: an app that never imports `openai` itself (and whose package.json
 * does not declare it) calls it through LangChain (`@langchain/openai`) and the OpenAI Agents SDK
 * (`@openai/agents`). Both frameworks bring their own openai 7 nested under them while the repo
 * root has openai 6, so this also covers a client that is not where the entry's own
 * `require('openai')` would land. ESM and CommonJS entries, preloaded, against the fake server.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPLETION, PROMPT, SYSTEM, llmSpans, points, rootSpan, runApp, runPlainApp, tokenSums, fakeLlmPerFile } from './harness';

const DIR = path.join(__dirname, 'fixtures', 'framework-app');

const llm = fakeLlmPerFile();

// Fake server: tokens are words. System (1 word) + "SECRET-PROMPT-7f3a: make a plan" (4) = 5 in;
// the "plan" reply is 12 words.
const IN = 5;
const OUT = 12;

const cases = [
  { scenario: 'langchain', path: '/v1/chat/completions' },
  { scenario: 'langchain-stream', path: '/v1/chat/completions' },
  { scenario: 'agents', path: '/v1/responses' },
  { scenario: 'agents-stream', path: '/v1/responses' },
];

describe.each(['mjs', 'cjs'] as const)('%s app using openai only through frameworks', (entry) => {
  it.each(cases)('$scenario: one chat span under the command, exact tokens and metrics, same output', async ({ scenario, path: p }) => {
    const opts = { dir: DIR, entry, scenario } as const;
    const plain = await runPlainApp(llm, opts);
    const before = llm.requests.length;
    const { receiver: r, out, result } = await runApp(llm, {
      ...opts,
      waitFor: (s) => s.some((x) => x.parentSpanId === undefined) && s.some((x) => x.attributes['gen_ai.operation.name'] === 'chat'),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(out).toEqual(plain.out);
    expect(out.text).toContain(COMPLETION);
    expect(llm.requests.slice(before).map((q) => q.path)).toEqual([p]);

    const spans = llmSpans(r);
    expect(spans).toHaveLength(1);
    const span = spans[0]!;
    expect(span.name).toBe('chat gpt-4o-mini');
    expect(span.parentSpanId).toBe(rootSpan(r).spanId);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2026-01-01',
      'gen_ai.usage.input_tokens': IN,
      'gen_ai.usage.output_tokens': OUT,
    });
    expect(tokenSums(r)).toEqual({ input: IN, output: OUT });
    const dur = points(r, 'gen_ai.client.operation.duration');
    expect(dur).toHaveLength(1);
    expect(dur[0]!.attributes['gen_ai.provider.name']).toBe('openai');

    // Default level is `usage`: no prompt, system prompt or completion anywhere.
    const wire = JSON.stringify({ spans: r.spans(), metrics: r.metrics() });
    for (const secret of [PROMPT, SYSTEM, COMPLETION]) expect(wire).not.toContain(secret);
  });
});
