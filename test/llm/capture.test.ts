/**
 * The real `openai` and `@anthropic-ai/sdk` clients, preloaded only (no code change in the app),
 * against the local fake server; what reaches the OTLP receiver is asserted exactly, and the app's
 * own output must be byte-identical to a run without us.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { COMPLETION, PROMPT, SYSTEM, llmSpans, points, rootSpan, runApp, runPlainApp, tokenSums, fakeLlmPerFile } from './harness';

const llm = fakeLlmPerFile();

// The fake server counts words: the fixture's system + user messages are 12 words (Anthropic:
// the user message alone is 8 words plus the 4-word system prompt), the "plan" reply 12 words.
const IN = 12;
const OUT = 12;

describe.each(['cjs', 'mjs'] as const)('%s app, preloaded', (entry) => {
  it('chat completion: one CLIENT span nested in the step, exact tokens and metrics, same output', async () => {
    const plain = await runPlainApp(llm, { entry, scenario: 'chat', env: { USE_API: '1' } });
    const { receiver: r, out, result } = await runApp(llm, { entry, scenario: 'chat', env: { USE_API: '1' } });
    expect(result.code).toBe(0);
    expect(out).toEqual(plain.out);

    const [span, ...rest] = llmSpans(r);
    expect(rest).toHaveLength(0);
    expect(span!.name).toBe('chat gpt-4o-mini');
    expect(span!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2026-01-01',
      'gen_ai.request.max_tokens': 100,
      'gen_ai.request.temperature': 0,
      'gen_ai.usage.input_tokens': IN,
      'gen_ai.usage.output_tokens': OUT,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(span!.attributes['error.type']).toBeUndefined();
    const stepSpan = r.spans().find((s) => s.name === 'step plan')!;
    expect(stepSpan).toBeDefined();
    expect(span!.parentSpanId).toBe(stepSpan.spanId);
    expect(stepSpan.parentSpanId).toBe(rootSpan(r).spanId);

    expect(tokenSums(r)).toEqual({ input: IN, output: OUT });
    const dur = points(r, 'gen_ai.client.operation.duration');
    expect(dur).toHaveLength(1);
    expect(dur[0]!.count).toBe(1);
    expect(dur[0]!.sum).toBeCloseTo(span!.durationMs / 1000, 6);
    expect(dur[0]!.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2026-01-01',
    });
  });

  it('server.address and server.port of the API on the span and on both GenAI metrics (a host name, never an IP)', async () => {
    const port = Number(new URL(llm.url).port);
    const env = { USE_API: '1', LLM_URL: llm.url.replace('127.0.0.1', 'localhost') };
    const { receiver: r, result } = await runApp(llm, { entry, scenario: 'chat', env });
    expect(result.code, result.stderr).toBe(0);
    const [span] = llmSpans(r);
    expect(span!.attributes['server.address']).toBe('localhost');
    expect(span!.attributes['server.port']).toBe(port);
    for (const name of ['gen_ai.client.operation.duration', 'gen_ai.client.token.usage']) {
      const pts = points(r, name);
      expect(pts.length, name).toBeGreaterThan(0);
      for (const p of pts) expect(p.attributes, name).toMatchObject({ 'server.address': 'localhost', 'server.port': port });
    }
  });

  it('streamed chat with include_usage: counted when the stream ends', async () => {
    const plain = await runPlainApp(llm, { entry, scenario: 'chat-stream' });
    const { receiver: r, out } = await runApp(llm, { entry, scenario: 'chat-stream' });
    expect(out).toEqual(plain.out);
    expect(out.type).toBe('Stream'); // the app still gets the client's own Stream class
    const [span] = llmSpans(r);
    expect(span!.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': IN,
      'gen_ai.usage.output_tokens': OUT,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.response.model': 'gpt-4o-mini-2026-01-01',
    });
    expect(tokenSums(r)).toEqual({ input: IN, output: OUT });
  });

  it('Anthropic messages: tokens, stop reason, nested in the step', async () => {
    const plain = await runPlainApp(llm, { entry, scenario: 'messages', model: 'claude-test', env: { USE_API: '1' } });
    const { receiver: r, out } = await runApp(llm, { entry, scenario: 'messages', model: 'claude-test', env: { USE_API: '1' } });
    expect(out).toEqual(plain.out);
    const [span] = llmSpans(r);
    expect(span!.name).toBe('chat claude-test');
    expect(span!.attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.response.model': 'claude-test-20260101',
      'gen_ai.usage.input_tokens': IN,
      'gen_ai.usage.output_tokens': OUT,
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.request.max_tokens': 100,
    });
    expect(span!.parentSpanId).toBe(r.spans().find((s) => s.name === 'step plan')!.spanId);
  });

  it('Anthropic streaming: message_start / message_delta usage', async () => {
    const { receiver: r, out } = await runApp(llm, { entry, scenario: 'messages-stream', model: 'claude-test' });
    expect(String(out.text)).toContain(COMPLETION);
    const [span] = llmSpans(r);
    expect(span!.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': IN,
      'gen_ai.usage.output_tokens': OUT,
      'gen_ai.response.finish_reasons': ['end_turn'],
    });
    expect(tokenSums(r)).toEqual({ input: IN, output: OUT });
  });
});

describe('client paths that go through create()', () => {
  it('openai chat.completions.stream() helper and withResponse()', async () => {
    const a = await runApp(llm, { entry: 'cjs', scenario: 'chat-stream-helper' });
    expect(llmSpans(a.receiver)).toHaveLength(1);
    expect(tokenSums(a.receiver)).toEqual({ input: IN, output: OUT });
    const b = await runApp(llm, { entry: 'cjs', scenario: 'chat-with-response' });
    expect(b.out.status).toBe(200);
    expect(llmSpans(b.receiver)[0]!.attributes['gen_ai.usage.output_tokens']).toBe(OUT);
  });

  it('asResponse() alone: the body is left to the app; the span ends with what the request told', async () => {
    const plain = await runPlainApp(llm, { entry: 'cjs', scenario: 'chat-as-response' });
    const { receiver: r, out } = await runApp(llm, { entry: 'cjs', scenario: 'chat-as-response' });
    expect(out).toEqual(plain.out);
    const [span, ...more] = llmSpans(r);
    expect(more).toHaveLength(0);
    expect(span!.name).toBe('chat gpt-4o-mini');
    expect(span!.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(span!.attributes['error.type']).toBeUndefined();
  });

  it.each(['cjs', 'mjs'] as const)('%s: openai Responses API, plain and streamed (response.completed usage)', async (entry) => {
    for (const scenario of ['responses', 'responses-stream']) {
      const plain = await runPlainApp(llm, { entry, scenario });
      const { receiver: r, out } = await runApp(llm, { entry, scenario });
      expect(out).toEqual(plain.out);
      const [span] = llmSpans(r);
      expect(span!.name).toBe('chat gpt-4.1-mini');
      expect(span!.attributes).toMatchObject({
        'gen_ai.provider.name': 'openai',
        'gen_ai.response.model': 'gpt-4.1-mini-2026-01-01',
        'gen_ai.usage.input_tokens': IN,
        'gen_ai.usage.output_tokens': OUT,
      });
      expect(r.rawBodiesText()).not.toContain(PROMPT);
    }
  });

  it('openai embeddings: operation embeddings, input tokens only', async () => {
    const plain = await runPlainApp(llm, { entry: 'cjs', scenario: 'embeddings' });
    const { receiver: r, out } = await runApp(llm, { entry: 'cjs', scenario: 'embeddings' });
    expect(out).toEqual(plain.out); // the client's base64 decoding still happens
    const [span] = llmSpans(r);
    expect(span!.name).toBe('embeddings text-embedding-3-small');
    expect(span!.attributes).toMatchObject({ 'gen_ai.operation.name': 'embeddings', 'gen_ai.usage.input_tokens': 4, 'gen_ai.response.model': 'text-embedding-3-small-v2' });
    expect(tokenSums(r)).toEqual({ input: 4 });
  });

  it('start() after the app required the client (no preload): the loaded client is patched too', async () => {
    const { receiver: r, out, result } = await runApp(llm, { entry: 'cjs', script: 'late-start.cjs', mode: 'none', scenario: 'chat' });
    expect(result.stderr).not.toContain('not enabled');
    expect(out.text).toBeDefined();
    const [span] = llmSpans(r);
    expect(span!.attributes['gen_ai.usage.input_tokens']).toBe(IN);
    expect(span!.parentSpanId).toBe(r.spans().find((s) => s.name === 'step plan')!.spanId);
  });

  it('anthropic messages.stream() helper', async () => {
    const { receiver: r, out } = await runApp(llm, { entry: 'cjs', scenario: 'messages-stream-helper', model: 'claude-test' });
    expect(String(out.text)).toContain(COMPLETION);
    // No system prompt in this scenario: the 8-word user message only.
    expect(tokenSums(r)).toEqual({ input: 8, output: OUT });
  });

  it('an agent loop: steps, two requests, a typed prompt counted', async () => {
    const { receiver: r } = await runApp(llm, { entry: 'cjs', scenario: 'two-in-steps', env: { USE_API: '1' } });
    const spans = llmSpans(r);
    expect(spans).toHaveLength(2);
    const steps = Object.fromEntries(r.spans().filter((s) => s.name.startsWith('step ')).map((s) => [s.name, s]));
    expect(spans.map((s) => s.parentSpanId).sort()).toEqual([steps['step plan']!.spanId, steps['step edit']!.spanId].sort());
    // Reply to "edit it" is "Edit: change parse() to trim the input before splitting." = 9 words.
    expect(tokenSums(r)).toEqual({ input: IN + 2, output: OUT + 9 });
    const inputs = r.metrics().filter((m) => m.name === 'devtool.user_input.count').flatMap((m) => m.points);
    expect(inputs.reduce((a, p) => a + (p.value ?? 0), 0)).toBe(1);
  });
});

describe('errors and retries', () => {
  it.each(['cjs', 'mjs'] as const)('%s: a 500 keeps the client error, span has error.type and no tokens', async (entry) => {
    const plain = await runPlainApp(llm, { entry, scenario: 'chat', model: 'error-500' });
    const { receiver: r, out } = await runApp(llm, { entry, scenario: 'chat', model: 'error-500' });
    expect(out).toEqual(plain.out);
    expect(out).toMatchObject({ error: 'InternalServerError', status: 500 });
    const [span] = llmSpans(r);
    expect(span!.attributes['error.type']).toBe('InternalServerError');
    expect(span!.status.code).toBe(2);
    expect(span!.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(points(r, 'gen_ai.client.token.usage')).toHaveLength(0);
    expect(points(r, 'gen_ai.client.operation.duration')[0]!.attributes['error.type']).toBe('InternalServerError');
  });

  it('client retries (503 twice, then OK) are one span covering the retries', async () => {
    const before = llm.requests.length;
    const { receiver: r, out } = await runApp(llm, { entry: 'cjs', scenario: 'chat', model: 'flaky-2', retries: 2 });
    expect(llm.requests.length - before).toBe(3);
    expect(out.text).toBeDefined();
    const spans = llmSpans(r);
    expect(spans).toHaveLength(1);
    expect(spans[0]!.attributes['error.type']).toBeUndefined();
    expect(spans[0]!.attributes['gen_ai.usage.output_tokens']).toBe(OUT);
  });

  it('anthropic 429 -> RateLimitError', async () => {
    const { receiver: r, out } = await runApp(llm, { entry: 'cjs', scenario: 'messages', model: 'error-429' });
    expect(out).toMatchObject({ error: 'RateLimitError', status: 429 });
    expect(llmSpans(r)[0]!.attributes['error.type']).toBe('RateLimitError');
  });
});

describe('privacy', () => {
  it('at usage, no prompt, system prompt or completion text reaches the receiver', async () => {
    for (const scenario of ['chat', 'chat-stream', 'messages']) {
      const { receiver: r } = await runApp(llm, { entry: 'cjs', scenario, model: scenario === 'messages' ? 'claude-test' : undefined, level: 'usage' });
      const text = r.rawBodiesText();
      expect(llmSpans(r)).toHaveLength(1);
      for (const secret of [PROMPT, SYSTEM, COMPLETION, 'sk-test-not-a-key']) expect(text).not.toContain(secret);
      expect(llmSpans(r)[0]!.attributes['gen_ai.input.messages']).toBeUndefined();
    }
  });

  it('at full, content is present as GenAI message JSON (after the sanitizer)', async () => {
    const email = 'jane.doe@example.com';
    const key = 'sk-proj-Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5';
    const { receiver: r } = await runApp(llm, {
      entry: 'cjs',
      scenario: 'messages',
      model: 'claude-test',
      level: 'full',
      env: { PROMPT_EXTRA: `mail ${email} key ${key}` },
    });
    // Content is kept at full, but the sanitizer still scrubs what must never leave the machine.
    expect(r.rawBodiesText()).not.toContain(email);
    expect(r.rawBodiesText()).not.toContain(key);
    const a = llmSpans(r)[0]!.attributes;
    const input = JSON.parse(String(a['gen_ai.input.messages'])) as Array<{ role: string; parts: Array<{ content?: string }> }>;
    expect(input[0]!.role).toBe('user');
    expect(input[0]!.parts[0]!.content).toContain(PROMPT);
    expect(JSON.parse(String(a['gen_ai.system_instructions']))[0].content).toContain(SYSTEM);
    const output = JSON.parse(String(a['gen_ai.output.messages'])) as Array<{ role: string; finish_reason: string; parts: Array<{ content?: string }> }>;
    expect(output[0]).toMatchObject({ role: 'assistant', finish_reason: 'end_turn' });
    expect(output[0]!.parts[0]!.content).toContain(COMPLETION);

    const s = await runApp(llm, { entry: 'mjs', scenario: 'chat-stream', level: 'full' });
    const out = JSON.parse(String(llmSpans(s.receiver)[0]!.attributes['gen_ai.output.messages'])) as Array<{ parts: Array<{ content: string }> }>;
    expect(out[0]!.parts[0]!.content).toBe('Plan: read the failing test, fix the parser, run the tests again.');
  });

  it('at minimal, no LLM span and no token metric at all', async () => {
    const { receiver: r, out } = await runApp(llm, { entry: 'cjs', scenario: 'chat', level: 'minimal' });
    expect(out.text).toBeDefined();
    expect(llmSpans(r)).toHaveLength(0);
    expect(points(r, 'gen_ai.client.token.usage')).toHaveLength(0);
  });
});

// Which ESM hook each Node version gets (src/instrument/llm-hooks.ts): synchronous in-thread hooks where
// Node has them, the hooks thread of module.register() elsewhere; on every version only when a client
// is installed where the entry can reach it (here: the repository's node_modules), declared or not.
// The fixtures run on this process's Node (process.execPath).
const SYNC_HOOKS = typeof (createRequire(__filename)('node:module') as { registerHooks?: unknown }).registerHooks === 'function';

describe(`an ES-module app that does not declare the client (Node ${process.versions.node}: ${SYNC_HOOKS ? 'registerHooks' : 'module.register'})`, () => {
  it('is captured: the client is installed where the app can reach it', async () => {
    const plain = await runPlainApp(llm, { entry: 'mjs', scenario: 'chat' }); // the same scenario from llm-app
    const { receiver: r, out, result } = await runApp(llm, { entry: 'mjs', script: '../undeclared-app/app.mjs', scenario: 'chat' });
    expect(result.code).toBe(0);
    expect(out).toEqual(plain.out);
    expect(rootSpan(r).resource['service.name']).toBe('undeclared-app');
    const [span, ...rest] = llmSpans(r);
    expect(rest).toHaveLength(0);
    expect(span!.name).toBe('chat gpt-4o-mini');
    expect(tokenSums(r)).toEqual({ input: IN, output: OUT });
  });
});
