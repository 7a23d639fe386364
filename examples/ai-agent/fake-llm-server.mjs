// A deterministic, local stand-in for the OpenAI and Anthropic HTTP APIs, so the example agent
// (and the tests) run with no key and no network. Endpoints:
//   POST /v1/chat/completions   OpenAI chat, JSON or SSE (`stream: true`; a final usage chunk when
//                               `stream_options.include_usage` is set, as the real API does)
//   POST /v1/responses          OpenAI Responses, JSON or SSE (response.created ... response.completed)
//   POST /v1/embeddings         OpenAI embeddings (floats or base64, as asked)
//   POST /v1/messages           Anthropic messages, JSON or SSE (message_start ... message_stop)
// Token counts are words: input = words of every message text, output = words of the reply.
// Tool use (chat completions, non-streamed): when the request offers `tools` and no tool result
// has come back since the last user message, the reply calls every offered function (up to 3, ids
// call_1..), with arguments made from each one's JSON-schema properties (strings "src/parser.js",
// numbers 1, booleans true); output tokens are 5 per call. With tool results in, it answers in text.
// The reply is a fixed function of the last user message. Special model names script failures:
//   error-500 / error-400 / error-429 -> that status with an API error body
//   flaky-N                            -> 503 (retry-after-ms: 5) for the first N requests, then OK
//   no-usage                           -> a reply without any usage data
//   malformed                          -> 200 with a body that is not JSON (stream: bad SSE data)
//   cut-stream                         -> the SSE stream stops mid-way (socket destroyed)
// Usage: `node fake-llm-server.mjs [port]` prints `listening http://127.0.0.1:PORT`; or import
// { startFakeLlmServer } and get { url, port, requests, close() }.
import * as http from 'node:http';
import { pathToFileURL } from 'node:url';

const words = (s) => (typeof s === 'string' ? s.split(/\s+/).filter(Boolean).length : 0);

function textOf(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p && typeof p.text === 'string' ? p.text : '')).join(' ');
  return '';
}

/** The deterministic reply to a conversation. */
export function replyFor(messages) {
  const last = [...(Array.isArray(messages) ? messages : [])].reverse().find((m) => m && m.role === 'user');
  const ask = textOf(last?.content);
  if (/plan/i.test(ask)) return 'Plan: read the failing test, fix the parser, run the tests again.';
  if (/edit|fix/i.test(ask)) return 'Edit: change parse() to trim the input before splitting.';
  if (/test/i.test(ask)) return 'Tests: all 12 passed.';
  return `Echo reply with ${words(ask)} words.`;
}

function inputTokens(body) {
  let n = words(textOf(body.system));
  for (const m of Array.isArray(body.messages) ? body.messages : []) n += words(textOf(m?.content));
  return n;
}

function sse(res, events, { cut = false, raw = false } = {}) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const list = cut ? events.slice(0, Math.max(1, Math.floor(events.length / 2))) : events;
  for (const e of list) {
    if (raw) res.write(`data: {not json\n\n`);
    else if (e.event) res.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
    else res.write(`data: ${typeof e === 'string' ? e : JSON.stringify(e)}\n\n`);
  }
  if (cut) return setTimeout(() => res.socket?.destroy(), 20);
  res.end();
}

function apiError(res, status, provider) {
  const body =
    provider === 'anthropic'
      ? { type: 'error', error: { type: status === 429 ? 'rate_limit_error' : 'api_error', message: 'scripted failure' } }
      : { error: { message: 'scripted failure', type: 'server_error', code: null } };
  res.writeHead(status, { 'content-type': 'application/json', 'retry-after-ms': '5' });
  res.end(JSON.stringify(body));
}

function toolCallsFor(body) {
  const tools = Array.isArray(body.tools) ? body.tools.filter((t) => t?.type === 'function' && typeof t.function?.name === 'string') : [];
  if (!tools.length || !Array.isArray(body.messages)) return undefined;
  const lastUser = body.messages.map((m) => m?.role).lastIndexOf('user');
  if (body.messages.slice(lastUser + 1).some((m) => m?.role === 'tool')) return undefined;
  const sample = { string: 'src/parser.js', number: 1, integer: 1, boolean: true };
  return tools.slice(0, 3).map((t, i) => {
    const props = t.function.parameters?.properties ?? {};
    const args = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, sample[v?.type] ?? null]));
    return { id: `call_${i + 1}`, type: 'function', function: { name: t.function.name, arguments: JSON.stringify(args) } };
  });
}

function chat(body, res, mode) {
  const model = String(body.model);
  const calls = body.stream ? undefined : toolCallsFor(body);
  if (calls) {
    const served = `${model.startsWith('gpt') ? model : 'gpt-fake'}-2026-01-01`;
    const usage = { prompt_tokens: inputTokens(body), completion_tokens: 5 * calls.length, total_tokens: inputTokens(body) + 5 * calls.length };
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(
      JSON.stringify({
        id: 'chatcmpl-fake-tools',
        object: 'chat.completion',
        created: 1767225600,
        model: served,
        choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: calls }, finish_reason: 'tool_calls' }],
        usage,
      }),
    );
  }
  const reply = replyFor(body.messages);
  const usage = { prompt_tokens: inputTokens(body), completion_tokens: words(reply), total_tokens: inputTokens(body) + words(reply) };
  const served = `${model.startsWith('gpt') ? model : 'gpt-fake'}-2026-01-01`;
  if (mode === 'malformed') {
    if (body.stream) return sse(res, [{}, {}], { raw: true });
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end('{"id": "chatcmpl-1", "choices": [');
  }
  if (!body.stream) {
    const out = {
      id: 'chatcmpl-fake-1',
      object: 'chat.completion',
      created: 1767225600,
      model: served,
      choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
    };
    if (mode !== 'no-usage') out.usage = usage;
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(out));
  }
  const base = { id: 'chatcmpl-fake-1', object: 'chat.completion.chunk', created: 1767225600, model: served };
  const parts = reply.split(/(?<= )/);
  const events = [{ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }];
  for (const p of parts) events.push({ ...base, choices: [{ index: 0, delta: { content: p }, finish_reason: null }] });
  events.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
  if (body.stream_options?.include_usage && mode !== 'no-usage') events.push({ ...base, choices: [], usage });
  events.push('[DONE]');
  return sse(res, events, { cut: mode === 'cut-stream' });
}

function messages(body, res, mode) {
  const model = String(body.model);
  const reply = replyFor(body.messages);
  const usage = { input_tokens: inputTokens(body), output_tokens: words(reply), cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
  const served = `${model}-20260101`;
  if (mode === 'malformed') {
    if (body.stream) return sse(res, [{}, {}], { raw: true });
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end('{"type": "message", "content": [');
  }
  if (!body.stream) {
    const out = {
      id: 'msg_fake_1',
      type: 'message',
      role: 'assistant',
      model: served,
      content: [{ type: 'text', text: reply }],
      stop_reason: 'end_turn',
      stop_sequence: null,
    };
    if (mode !== 'no-usage') out.usage = usage;
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(out));
  }
  const start = { id: 'msg_fake_1', type: 'message', role: 'assistant', model: served, content: [], stop_reason: null, stop_sequence: null };
  if (mode !== 'no-usage') start.usage = { ...usage, output_tokens: 1 };
  const events = [
    { event: 'message_start', data: { type: 'message_start', message: start } },
    { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
  ];
  for (const p of reply.split(/(?<= )/)) {
    events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } } });
  }
  events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } });
  const delta = { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null } };
  if (mode !== 'no-usage') delta.usage = { output_tokens: words(reply) };
  events.push({ event: 'message_delta', data: delta });
  events.push({ event: 'message_stop', data: { type: 'message_stop' } });
  return sse(res, events, { cut: mode === 'cut-stream' });
}

function responsesApi(body, res, mode) {
  const model = String(body.model);
  const input = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : body.input;
  const reply = replyFor(input);
  const inTokens = inputTokens({ system: body.instructions, messages: input });
  const final = {
    id: 'resp_fake_1',
    object: 'response',
    created_at: 1767225600,
    model: `${model}-2026-01-01`,
    status: 'completed',
    output: [
      { type: 'message', id: 'msg_fake_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: reply, annotations: [] }] },
    ],
  };
  if (mode !== 'no-usage') final.usage = { input_tokens: inTokens, output_tokens: words(reply), total_tokens: inTokens + words(reply) };
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(final));
  }
  const started = { ...final, status: 'in_progress', output: [] };
  delete started.usage;
  const events = [{ event: 'response.created', data: { type: 'response.created', sequence_number: 0, response: started } }];
  let n = 1;
  for (const p of reply.split(/(?<= )/)) {
    events.push({ event: 'response.output_text.delta', data: { type: 'response.output_text.delta', sequence_number: n++, item_id: 'msg_fake_1', output_index: 0, content_index: 0, delta: p } });
  }
  events.push({ event: 'response.completed', data: { type: 'response.completed', sequence_number: n, response: final } });
  return sse(res, events, { cut: mode === 'cut-stream' });
}

function embeddings(body, res) {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const vector = [0.25, -0.5, 1];
  const encode = (v) => (body.encoding_format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v);
  const tokens = inputs.reduce((a, t) => a + words(t), 0);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      object: 'list',
      data: inputs.map((_t, index) => ({ object: 'embedding', index, embedding: encode(vector) })),
      model: `${body.model}-v2`,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    }),
  );
}

export async function startFakeLlmServer({ port = 0 } = {}) {
  const requests = [];
  const flaky = new Map();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method, path: req.url, headers: req.headers, body: text });
      let body;
      try {
        body = JSON.parse(text || '{}');
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        return res.end('{"error":{"message":"invalid JSON"}}');
      }
      const provider = req.url.startsWith('/v1/messages') ? 'anthropic' : 'openai';
      const model = String(body.model ?? '');
      const err = /^error-(\d{3})$/.exec(model);
      if (err) return apiError(res, Number(err[1]), provider);
      const fl = /^flaky-(\d+)$/.exec(model);
      if (fl) {
        const seen = (flaky.get(model) ?? 0) + 1;
        flaky.set(model, seen);
        if (seen <= Number(fl[1])) return apiError(res, 503, provider);
      }
      const mode = ['no-usage', 'malformed', 'cut-stream'].includes(model) ? model : undefined;
      if (req.method === 'POST' && req.url.startsWith('/v1/chat/completions')) return chat(body, res, mode);
      if (req.method === 'POST' && req.url.startsWith('/v1/messages')) return messages(body, res, mode);
      if (req.method === 'POST' && req.url.startsWith('/v1/responses')) return responsesApi(body, res, mode);
      if (req.method === 'POST' && req.url.startsWith('/v1/embeddings')) return embeddings(body, res);
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"not found"}}');
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = server.address().port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const s = await startFakeLlmServer({ port: Number(process.argv[2] ?? 0) });
  process.stdout.write(`listening ${s.url}\n`);
  process.on('SIGTERM', () => s.close().then(() => process.exit(0)));
  process.on('SIGINT', () => s.close().then(() => process.exit(0)));
}
