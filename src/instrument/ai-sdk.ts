/**
 * The Vercel AI SDK (`ai` 7.x). Since 7.0 the SDK reports through telemetry integrations
 * registered on `globalThis.AI_SDK_TELEMETRY_INTEGRATIONS` (`registerTelemetry()`), called for
 * every call unless the app passes `telemetry: { isEnabled: false }`; it no longer needs an
 * OpenTelemetry TracerProvider. We register one integration when the app loads `ai`, so its
 * model calls and tool executions land in the run with no code change and without touching any
 * OTel provider the app registered itself:
 *   - onLanguageModelCallStart/End: one `chat {model}` CLIENT span per model request (each step
 *     of a multi-step call), tokens from `usage`, plus the gen_ai.client.* metrics;
 *   - onToolExecutionStart/End: `execute_tool {tool}` spans with the model's tool-call id;
 *     a tool error is `error.type` = the error class.
 * Both nest under the span active when the app called generateText/streamText (its step).
 * Decision (documented in the README): on by default at `usage`, since the events carry metadata
 * we keep and content we drop below `full` (we never read `messages`/`content` below `full`).
 * The AI SDK's own OTel spans (`experimental_telemetry`, ai <= 6) are not bridged.
 */
import type { Attributes } from '../model/records';
import { errorType } from '../recorder/error-type';
import { currentRecorder } from '../recorder/current';
import { isObj, type Obj } from './patch';
import { endToolSpan, startToolSpan, type ToolSpan } from './tool-span';
import { count, LlmCall, str } from './llm-call';


export const AI_SDK_MAJORS = [7];
const MARK = Symbol.for('devtool-telemetry.ai-sdk-integration');

/** AI SDK provider ids (`openai.chat`, `google.generative-ai`...) to gen_ai.provider.name values. */
const PROVIDERS: Record<string, string> = {
  openai: 'openai',
  azure: 'azure.ai.openai',
  anthropic: 'anthropic',
  google: 'gcp.gemini',
  'google-vertex': 'gcp.vertex_ai',
  vertex: 'gcp.vertex_ai',
  'amazon-bedrock': 'aws.bedrock',
  bedrock: 'aws.bedrock',
  mistral: 'mistral_ai',
  groq: 'groq',
  deepseek: 'deepseek',
  xai: 'x_ai',
  cohere: 'cohere',
  perplexity: 'perplexity',
};

export function providerName(id: unknown): string {
  const s = typeof id === 'string' ? id.toLowerCase() : '';
  if (s.startsWith('google.vertex')) return 'gcp.vertex_ai';
  const head = s.split('.')[0] ?? '';
  return PROVIDERS[head] ?? (/^[a-z0-9_-]{1,32}$/.test(head) ? head : 'unknown');
}

/** The SDK's unified reason (`tool-calls`) spelled as the providers' (`tool_calls`). */
function finishReason(v: unknown): string | undefined {
  const r = typeof v === 'string' ? v : isObj(v) ? (str(v.unified) ?? str(v.raw)) : undefined;
  return r?.replace(/-/g, '_');
}

/** The integration: plain synchronous callbacks that never throw into the SDK. */
function integration(): Obj {
  const calls = new Map<string, LlmCall[]>(); // per generateText/streamText call id, in start order
  const tools = new Map<string, ToolSpan>();
  const guard =
    <E>(fn: (e: E) => void) =>
    (e: E): void => {
      try {
        fn(e);
      } catch {
        /* never disturb the app's call */
      }
    };
  const live = () => {
    const recorder = currentRecorder();
    return recorder && recorder.run.allows('usage') && !recorder.run.root.ended ? recorder : undefined;
  };
  const endOpen = (id: string, error: unknown) => {
    for (const c of calls.get(id) ?? []) c.end(error);
    calls.delete(id);
  };
  return {
    [MARK]: true,
    onLanguageModelCallStart: guard((e: Obj) => {
      const recorder = live();
      if (!recorder) return;
      const request: Attributes = {};
      const max = count(e.maxOutputTokens);
      if (max !== undefined) request['gen_ai.request.max_tokens'] = max;
      if (typeof e.temperature === 'number' && Number.isFinite(e.temperature)) request['gen_ai.request.temperature'] = e.temperature;
      if (typeof e.topP === 'number' && Number.isFinite(e.topP)) request['gen_ai.request.top_p'] = e.topP;
      const llm = new LlmCall(recorder, { provider: providerName(e.provider), operation: 'chat', model: str(e.modelId), request });
      const id = String(e.callId);
      calls.set(id, [...(calls.get(id) ?? []), llm]);
    }),
    onLanguageModelCallEnd: guard((e: Obj) => {
      const id = String(e.callId);
      const open = calls.get(id);
      const llm = open?.shift();
      if (!llm) return;
      if (!open!.length) calls.delete(id);
      const u = isObj(e.usage) ? e.usage : {};
      const reason = finishReason(e.finishReason);
      const response = isObj(e.response) ? e.response : {};
      llm.update({
        responseModel: str(response.modelId),
        inputTokens: count(u.inputTokens),
        outputTokens: count(u.outputTokens),
        finishReasons: reason ? [reason] : undefined,
      });
      llm.end();
    }),
    onStepError: guard((e: Obj) => endOpen(String(e.callId), e.error ?? new Error('step failed'))),
    onError: guard((e: Obj) => endOpen(String(e.callId), e.error ?? new Error('call failed'))),
    onToolExecutionStart: guard((e: Obj) => {
      const recorder = live();
      const call = isObj(e.toolCall) ? e.toolCall : undefined;
      const name = str(call?.toolName);
      if (!recorder || !call || !name) return;
      const id = str(call.toolCallId);
      tools.set(id ?? name, startToolSpan(recorder, name, id, call.input));
    }),
    onToolExecutionEnd: guard((e: Obj) => {
      const call = isObj(e.toolCall) ? e.toolCall : {};
      const key = str(call.toolCallId) ?? str(call.toolName) ?? '';
      const t = tools.get(key);
      if (!t) return;
      tools.delete(key);
      const out = isObj(e.toolOutput) ? e.toolOutput : {};
      endToolSpan(t, out.type === 'tool-error' ? { failure: errorType(out.error) } : { result: out.output });
    }),
  };
}

/** Register our integration once per process (the SDK keeps a global list). Returns 1 if added. */
export function registerAiSdk(exports: unknown): number {
  const g = globalThis as { AI_SDK_TELEMETRY_INTEGRATIONS?: unknown[] };
  if (Array.isArray(g.AI_SDK_TELEMETRY_INTEGRATIONS) && g.AI_SDK_TELEMETRY_INTEGRATIONS.some((i) => isObj(i) && i[MARK as unknown as string])) return 0;
  const register = isObj(exports) ? exports.registerTelemetry : undefined;
  if (typeof register === 'function') (register as (i: unknown) => void)(integration());
  else (g.AI_SDK_TELEMETRY_INTEGRATIONS ??= []).push(integration());
  return 1;
}
