/**
 * The `openai` client (6.x and 7.x, Stainless-generated): chat completions, Responses and embeddings,
 * patched on their prototypes so clients created before or after are covered, in both the
 * CommonJS build (`require`) and the ESM build (`import`, a separate set of classes).
 * Streams report usage only when the app asked for it (`stream_options.include_usage`); we never
 * add it, since the extra chunk (empty `choices`) would change what the app receives.
 */
import {
  choiceMessages,
  chatMessages,
  partsJson,
  responsesInput,
  responsesOutput,
  textMessage,
  toJson,
  type Message,
} from './content';
import { count, requestParams, str, type LlmResult } from './llm-call';
import { wrapMethod, type OperationSpec, type StreamAccumulator } from './stainless';
import { exported, isObj, type Obj } from './patch';

/** Majors whose APIPromise / Stream internals we have tested against. Others are left alone. */
export const OPENAI_MAJORS = [6, 7];

function provider(resource: unknown): string {
  const client = isObj(resource) ? resource._client : undefined;
  const ctor = isObj(client) ? (client.constructor as { name?: string } | undefined)?.name : undefined;
  return ctor === 'AzureOpenAI' ? 'azure.ai.openai' : 'openai';
}

function usageOf(u: unknown, inKey: string, outKey: string): LlmResult {
  if (!isObj(u)) return {};
  return { inputTokens: count(u[inKey]), outputTokens: count(u[outKey]) };
}

function reasonsOf(choices: unknown): string[] | undefined {
  if (!Array.isArray(choices)) return undefined;
  const out = choices.map((c) => (isObj(c) ? str(c.finish_reason) : undefined)).filter((r): r is string => !!r);
  return out.length ? out : undefined;
}

const chat: OperationSpec = {
  operation: 'chat',
  provider,
  describe(body, full) {
    return {
      model: str(body.model),
      request: requestParams(body, ['max_completion_tokens', 'max_tokens']),
      inputMessages: full ? toJson(chatMessages(body.messages)) : undefined,
    };
  },
  fromBody(body, full) {
    if (!isObj(body)) return {};
    return {
      responseModel: str(body.model),
      ...usageOf(body.usage, 'prompt_tokens', 'completion_tokens'),
      finishReasons: reasonsOf(body.choices),
      outputMessages: full ? toJson(choiceMessages(body.choices)) : undefined,
    };
  },
  stream(full): StreamAccumulator {
    const r: LlmResult = {};
    const reasons: string[] = [];
    const texts: string[] = [];
    return {
      chunk(c) {
        if (!isObj(c)) return;
        if (str(c.model)) r.responseModel = c.model as string;
        if (isObj(c.usage)) Object.assign(r, usageOf(c.usage, 'prompt_tokens', 'completion_tokens'));
        if (!Array.isArray(c.choices)) return;
        for (const ch of c.choices) {
          if (!isObj(ch)) continue;
          const i = typeof ch.index === 'number' && ch.index >= 0 && ch.index < 128 ? ch.index : 0;
          if (str(ch.finish_reason)) reasons[i] = ch.finish_reason as string;
          if (full && isObj(ch.delta) && typeof ch.delta.content === 'string') texts[i] = (texts[i] ?? '') + ch.delta.content;
        }
      },
      result() {
        const fr = reasons.filter(Boolean);
        if (fr.length) r.finishReasons = fr;
        if (full) {
          const msgs: Message[] = [];
          const n = Math.max(texts.length, reasons.length);
          for (let i = 0; i < n; i++) msgs.push(textMessage('assistant', texts[i] ?? '', reasons[i]));
          r.outputMessages = toJson(msgs);
        }
        return r;
      },
    };
  },
};

function responsesResult(body: unknown, full: boolean): LlmResult {
  if (!isObj(body)) return {};
  const incomplete = isObj(body.incomplete_details) ? str(body.incomplete_details.reason) : undefined;
  return {
    responseModel: str(body.model),
    ...usageOf(body.usage, 'input_tokens', 'output_tokens'),
    finishReasons: incomplete ? [incomplete] : undefined,
    outputMessages: full ? toJson(responsesOutput(body.output)) : undefined,
  };
}

const responses: OperationSpec = {
  operation: 'chat',
  provider,
  describe(body, full) {
    return {
      model: str(body.model),
      request: requestParams(body, ['max_output_tokens']),
      inputMessages: full ? toJson(responsesInput(body.input)) : undefined,
      systemInstructions: full && typeof body.instructions === 'string' ? partsJson([{ type: 'text', content: body.instructions }]) : undefined,
    };
  },
  fromBody: responsesResult,
  stream(full) {
    let r: LlmResult = {};
    return {
      chunk(e) {
        if (!isObj(e) || !isObj(e.response)) return;
        const type = String(e.type);
        if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') {
          r = { ...r, ...strip(responsesResult(e.response, full)) };
        } else if (str(e.response.model)) r.responseModel = e.response.model as string;
      },
      result: () => r,
    };
  },
};

const embeddings: OperationSpec = {
  operation: 'embeddings',
  provider,
  describe(body) {
    return { model: str(body.model) };
  },
  fromBody(body) {
    if (!isObj(body)) return {};
    return { responseModel: str(body.model), inputTokens: isObj(body.usage) ? count(body.usage.prompt_tokens) : undefined };
  },
  stream: () => ({ chunk() {}, result: () => ({}) }),
};

function strip(r: LlmResult): LlmResult {
  const out: LlmResult = {};
  for (const [k, v] of Object.entries(r)) if (v !== undefined) (out as Obj)[k] = v;
  return out;
}

/** Patch the classes reachable from the package's exports (CJS `module.exports` or ESM namespace). */
export function patchOpenAI(exports: unknown): number {
  const OpenAI = exported(exports, 'OpenAI');
  if (typeof OpenAI !== 'function') return 0;
  const O = OpenAI as unknown as Obj;
  const Chat = O.Chat as Obj | undefined;
  let n = 0;
  if (wrapMethod((Chat?.Completions as Obj | undefined)?.prototype, 'create', chat)) n++;
  if (wrapMethod((O.Responses as Obj | undefined)?.prototype, 'create', responses)) n++;
  if (wrapMethod((O.Embeddings as Obj | undefined)?.prototype, 'create', embeddings)) n++;
  return n;
}
