// A local stand-in for the Gemini API (generativelanguage.googleapis.com wire format), for any
// client that takes a base URL (@google/genai: httpOptions.baseUrl). Endpoints:
//   POST /{version}/models/{model}:generateContent                JSON GenerateContentResponse
//   POST /{version}/models/{model}:streamGenerateContent?alt=sse  SSE, one GenerateContentResponse
//                                                                 per event, usage on the last
// Replies and token counts follow examples/ai-agent/fake-llm-server.mjs (words). Model names
// script failures: error-500 / error-429 -> that status with a Google error body.
import * as http from 'node:http';
import { replyFor } from '../../examples/ai-agent/fake-llm-server.mjs';

const words = (s) => (typeof s === 'string' ? s.split(/\s+/).filter(Boolean).length : 0);
const textOf = (content) => (Array.isArray(content?.parts) ? content.parts.map((p) => (typeof p?.text === 'string' ? p.text : '')).join(' ') : '');

function conversation(body) {
  const contents = Array.isArray(body.contents) ? body.contents : [];
  return contents.map((c) => ({ role: c?.role === 'model' ? 'assistant' : 'user', content: textOf(c) }));
}

export async function startFakeGemini() {
  const requests = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      requests.push({ path: req.url, body: raw });
      const m = /^\/[^/]+\/models\/([^:/?]+):(generateContent|streamGenerateContent)/.exec(req.url ?? '');
      let body;
      try {
        body = JSON.parse(raw || '{}');
      } catch {
        body = undefined;
      }
      if (req.method !== 'POST' || !m || !body) {
        res.writeHead(404, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: { code: 404, message: 'not found', status: 'NOT_FOUND' } }));
      }
      const [, model, method] = m;
      const status = /^error-(\d{3})$/.exec(model)?.[1];
      if (status) {
        res.writeHead(Number(status), { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: { code: Number(status), message: 'scripted failure', status: status === '429' ? 'RESOURCE_EXHAUSTED' : 'INTERNAL' } }));
      }
      const msgs = conversation(body);
      const reply = replyFor(msgs);
      const system = textOf(body.systemInstruction ?? body.system_instruction);
      const prompt = words(system) + msgs.reduce((n, x) => n + words(x.content), 0);
      const usage = { promptTokenCount: prompt, candidatesTokenCount: words(reply), totalTokenCount: prompt + words(reply) };
      const modelVersion = `${model}-001`;
      const candidate = (text, finishReason) => ({ content: { role: 'model', parts: [{ text }] }, ...(finishReason ? { finishReason } : {}), index: 0 });
      if (method === 'generateContent') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ candidates: [candidate(reply, 'STOP')], usageMetadata: usage, modelVersion, responseId: 'fake-resp-1' }));
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const parts = reply.split(/(?<= )/);
      parts.forEach((p, i) => {
        const last = i === parts.length - 1;
        const ev = { candidates: [candidate(p, last ? 'STOP' : undefined)], modelVersion, responseId: 'fake-resp-1' };
        // Like the real API: running usage without output counts, complete counts on the last event.
        ev.usageMetadata = last ? usage : { promptTokenCount: prompt, totalTokenCount: prompt };
        res.write(`data: ${JSON.stringify(ev)}\r\n\r\n`);
      });
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, requests, close: () => new Promise((r) => server.close(() => r())) };
}
