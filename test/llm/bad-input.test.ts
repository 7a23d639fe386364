/**
 * Bad input from the server or the environment: the app's call behaves exactly as without us
 * (same stdout line: result or error class), and the span records what is known.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startReceiver } from '../support/otlp-receiver';
import { linkPackage, listSpool, makeSandbox, runFixture } from '../support/run-fixture';
import { llmSpans, points, runApp, runPlainApp, fakeLlmPerFile } from './harness';

const llm = fakeLlmPerFile();

describe('responses the instrumentation cannot fully read', () => {
  it.each([
    ['chat', 'no-usage'],
    ['chat-stream', 'no-usage'],
    ['messages', 'no-usage'],
  ])('%s without usage: span without token counts, no token metric', async (scenario, model) => {
    const plain = await runPlainApp(llm, { entry: 'cjs', scenario, model });
    const { receiver: r, out } = await runApp(llm, { entry: 'cjs', scenario, model });
    expect(out).toEqual(plain.out);
    const [span] = llmSpans(r);
    expect(span!.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(span!.attributes['gen_ai.usage.output_tokens']).toBeUndefined();
    expect(span!.attributes['error.type']).toBeUndefined();
    expect(String(span!.attributes['gen_ai.response.model'])).toMatch(/2026/);
    expect(points(r, 'gen_ai.client.token.usage')).toHaveLength(0);
    expect(points(r, 'gen_ai.client.operation.duration')).toHaveLength(1);
  });

  it.each([
    ['cjs', 'chat', 'malformed', 'SyntaxError'],
    ['mjs', 'chat-stream', 'malformed', 'SyntaxError'],
    ['cjs', 'messages', 'malformed', 'SyntaxError'],
    ['cjs', 'chat-stream', 'cut-stream', 'TypeError'],
    ['mjs', 'messages-stream', 'cut-stream', 'TypeError'],
  ] as const)('%s %s %s: the app gets the same error; span has error.type', async (entry, scenario, model, type) => {
    const plain = await runPlainApp(llm, { entry, scenario, model });
    const { receiver: r, out } = await runApp(llm, { entry, scenario, model });
    expect(out).toEqual(plain.out);
    expect(out.error).toBe(type);
    const [span] = llmSpans(r);
    expect(span!.attributes['error.type']).toBe(type);
    expect(span!.status.code).toBe(2);
  });

  it('an aborted Anthropic stream keeps the usage known before the cut', async () => {
    const { receiver: r } = await runApp(llm, { entry: 'cjs', scenario: 'messages-stream', model: 'cut-stream' });
    const a = llmSpans(r)[0]!.attributes;
    expect(a['gen_ai.usage.input_tokens']).toBe(12); // from message_start, before the cut
    expect(a['gen_ai.response.model']).toBe('cut-stream-20260101');
  });

  it('the app breaking out of a stream ends the span without an error', async () => {
    const plain = await runPlainApp(llm, { entry: 'cjs', scenario: 'chat-stream-break' });
    const { receiver: r, out } = await runApp(llm, { entry: 'cjs', scenario: 'chat-stream-break' });
    expect(out).toEqual(plain.out);
    const [span] = llmSpans(r);
    expect(span!.attributes['error.type']).toBeUndefined();
    expect(span!.attributes['gen_ai.response.model']).toBe('gpt-4o-mini-2026-01-01');
  });
});

/** A fake `openai` package of a version we do not know, in a throwaway app directory. */
function unknownVersionApp(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dtt-unknown-openai-')));
  const pkg = path.join(dir, 'node_modules', 'openai');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(
    path.join(pkg, 'package.json'),
    JSON.stringify({ name: 'openai', version: '99.0.0', main: 'index.js', exports: { '.': { import: './index.mjs', require: './index.js' } } }),
  );
  const impl = `
class Completions { create(body) { return Promise.resolve({ model: body.model, usage: { prompt_tokens: 1, completion_tokens: 2 } }); } }
class Chat {}
Chat.Completions = Completions;
class OpenAI { constructor() { this.chat = { completions: new Completions() }; } }
OpenAI.Chat = Chat;
const original = Completions.prototype.create;
`;
  fs.writeFileSync(path.join(pkg, 'index.js'), `${impl}\nmodule.exports = { OpenAI, original };\n`);
  fs.writeFileSync(path.join(pkg, 'index.mjs'), `${impl}\nexport { OpenAI, original };\n`);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'unknown-client-app', version: '1.0.0', dependencies: { openai: '99.0.0' } }));
  const body = `const r = await new OpenAI().chat.completions.create({ model: 'm' });
console.log(JSON.stringify({ untouched: OpenAI.Chat.Completions.prototype.create === original, r }));`;
  fs.writeFileSync(path.join(dir, 'app.mjs'), `import { OpenAI, original } from 'openai';\n${body}\n`);
  fs.writeFileSync(path.join(dir, 'app.cjs'), `const { OpenAI, original } = require('openai');\n(async () => { ${body} })();\n`);
  linkPackage(dir);
  return dir;
}

describe('a client version we do not know', () => {
  it.each(['cjs', 'mjs'] as const)('%s: is left alone (prototype untouched, no LLM span), the run is still recorded', async (entry) => {
    const dir = unknownVersionApp();
    const receiver = await startReceiver();
    const sb = makeSandbox();
    try {
      const env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
      const script = path.join(dir, `app.${entry}`);
      const plain = await runFixture({ script, env, mode: 'none' });
      const res = await runFixture({ script, env, mode: entry === 'cjs' ? 'require' : 'import' });
      expect(res.stdout).toBe(plain.stdout);
      expect(JSON.parse(res.stdout).untouched).toBe(true);
      await receiver.waitFor(() => receiver.spans().some((s) => s.parentSpanId === undefined), 20_000).catch((err: Error) => {
        throw new Error(`${err.message}\nspool: ${listSpool(env).join(', ') || 'empty'}\nstderr: ${res.stderr}`);
      });
      expect(llmSpans(receiver)).toHaveLength(0);
    } finally {
      await receiver.close();
      sb.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
