/**
 * The Google GenAI client (`@google/genai` 1.x-3.x): `models.generateContent` and
 * `models.generateContentStream` as GenAI `generate_content {model}` CLIENT spans with tokens from
 * `usageMetadata`. The public methods are per-instance arrow functions (not on the prototype), and
 * with automatic function calling one call makes several requests; so we wrap the prototype's
 * `generateContentInternal` / `generateContentStreamInternal`, which every path goes through once
 * per HTTP request: one span per model request, as the conventions want.
 * Provider: `gcp.vertex_ai` when the client talks to Vertex AI, else `gcp.gemini`.
 * Content (prompts, answers) is not captured for this client at any level yet.
 */
import { currentRecorder } from '../recorder/current';
import { count, LlmCall, str, type LlmResult } from './llm-call';
import { observeIterator, type StreamAccumulator } from './stainless';
import { callOriginal, exported, installWrapper, isObj, unwrappedMethod, whenSettled, type Obj } from './patch';

/** Majors whose Models internals we have tested against (3.x); others are left alone. */
export const GOOGLE_MAJORS = [3];

function provider(models: unknown): string {
  try {
    const api = isObj(models) ? (models.apiClient as Obj | undefined) : undefined;
    return typeof api?.isVertexAI === 'function' && (api.isVertexAI as () => boolean)() ? 'gcp.vertex_ai' : 'gcp.gemini';
  } catch {
    return 'gcp.gemini';
  }
}

function model(params: Obj): string | undefined {
  const m = str(params.model);
  return m?.startsWith('models/') ? m.slice(7) : m;
}

function request(params: Obj): Record<string, number> {
  const out: Record<string, number> = {};
  const c = isObj(params.config) ? params.config : {};
  const max = count(c.maxOutputTokens);
  if (max !== undefined) out['gen_ai.request.max_tokens'] = max;
  if (typeof c.temperature === 'number' && Number.isFinite(c.temperature)) out['gen_ai.request.temperature'] = c.temperature;
  if (typeof c.topP === 'number' && Number.isFinite(c.topP)) out['gen_ai.request.top_p'] = c.topP;
  return out;
}

function resultOf(r: unknown): LlmResult {
  if (!isObj(r)) return {};
  const u = isObj(r.usageMetadata) ? r.usageMetadata : {};
  const reasons = Array.isArray(r.candidates)
    ? r.candidates.map((c) => (isObj(c) ? str(c.finishReason)?.toLowerCase() : undefined)).filter((x): x is string => !!x)
    : [];
  // Thinking tokens are billed as output: count them with the candidates.
  const out = count(u.candidatesTokenCount);
  const thoughts = count(u.thoughtsTokenCount);
  return {
    responseModel: str(r.modelVersion),
    inputTokens: count(u.promptTokenCount),
    outputTokens: out !== undefined || thoughts !== undefined ? (out ?? 0) + (thoughts ?? 0) : undefined,
    finishReasons: reasons.length ? reasons : undefined,
  };
}

function streamAcc(): StreamAccumulator {
  const r: LlmResult = {};
  return {
    chunk(c) {
      const p = resultOf(c);
      for (const [k, v] of Object.entries(p)) if (v !== undefined) (r as Obj)[k] = v;
    },
    result: () => r,
  };
}

function begin(models: unknown, params: unknown): LlmCall | undefined {
  try {
    const recorder = currentRecorder();
    if (!recorder || !recorder.run.allows('usage') || recorder.run.root.ended || !isObj(params)) return undefined;
    return new LlmCall(recorder, { provider: provider(models), operation: 'generate_content', model: model(params), request: request(params) });
  } catch {
    return undefined;
  }
}

function wrap(proto: Obj, method: string, streamed: boolean): boolean {
  const orig = unwrappedMethod(proto, method);
  if (!orig) return false;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const llm = begin(this, args[0]);
    if (!llm) return orig.apply(this, args);
    const p = callOriginal(orig, this, args, (err) => llm.end(err));
    return whenSettled(
      p,
      (res) => {
        try {
          if (!streamed) {
            llm.update(resultOf(res));
            llm.end();
            return res;
          }
          const it = res as AsyncIterator<unknown> & AsyncIterable<unknown>;
          if (!isObj(it) || typeof it.next !== 'function') {
            llm.discard();
            return res;
          }
          return observeIterator(it, streamAcc(), llm);
        } catch {
          llm.discard();
          return res;
        }
      },
      (err) => llm.end(err),
    );
  };
  installWrapper(proto, method, orig, wrapped);
  return true;
}

/** Patch `Models` from the package's exports (CJS exports or ESM namespace). */
export function patchGoogle(exports: unknown): number {
  const Models = exported(exports, 'Models');
  const proto = typeof Models === 'function' ? (Models.prototype as Obj) : undefined;
  if (!proto) return 0;
  let n = 0;
  if (wrap(proto, 'generateContentInternal', false)) n++;
  if (wrap(proto, 'generateContentStreamInternal', true)) n++;
  return n;
}
