/**
 * The `@anthropic-ai/sdk` client (1.x, Stainless-generated): `messages.create`, which its
 * `messages.stream()` and `messages.parse()` helpers call too, patched on the prototype.
 * Input tokens follow the GenAI conventions for Anthropic: `input_tokens` plus the cache read and
 * cache creation tokens (the API reports them apart). In a stream, `message_start` carries the
 * model and input usage, `message_delta` the cumulative output tokens and the stop reason.
 */
import { chatMessages, contentParts, partsJson, textMessage, toJson, type Message } from './content';
import { count, requestParams, str, type LlmResult } from './llm-call';
import { wrapMethod, type OperationSpec } from './stainless';
import { exported, isObj, type Obj } from './patch';

/** Majors whose APIPromise / Stream internals we have tested against. Others are left alone. */
export const ANTHROPIC_MAJORS = [1];

function inputTokens(u: Obj): number | undefined {
  const base = count(u.input_tokens);
  if (base === undefined) return undefined;
  return base + (count(u.cache_read_input_tokens) ?? 0) + (count(u.cache_creation_input_tokens) ?? 0);
}

function usage(u: unknown): LlmResult {
  if (!isObj(u)) return {};
  return { inputTokens: inputTokens(u), outputTokens: count(u.output_tokens) };
}

const messages: OperationSpec = {
  operation: 'chat',
  provider: () => 'anthropic',
  describe(body, full) {
    return {
      model: str(body.model),
      request: requestParams(body, ['max_tokens']),
      inputMessages: full ? toJson(chatMessages(body.messages)) : undefined,
      systemInstructions: full ? partsJson(contentParts(body.system)) : undefined,
    };
  },
  fromBody(body, full) {
    if (!isObj(body)) return {};
    const stop = str(body.stop_reason);
    const out: Message = { role: 'assistant', parts: contentParts(body.content) };
    if (stop) out.finish_reason = stop;
    return {
      responseModel: str(body.model),
      ...usage(body.usage),
      finishReasons: stop ? [stop] : undefined,
      outputMessages: full ? toJson([out]) : undefined,
    };
  },
  stream(full) {
    const r: LlmResult = {};
    let text = '';
    let stop: string | undefined;
    return {
      chunk(e) {
        if (!isObj(e)) return;
        switch (e.type) {
          case 'message_start':
            if (isObj(e.message)) {
              if (str(e.message.model)) r.responseModel = e.message.model as string;
              const u = usage(e.message.usage);
              if (u.inputTokens !== undefined) r.inputTokens = u.inputTokens;
              if (u.outputTokens !== undefined) r.outputTokens = u.outputTokens;
            }
            break;
          case 'message_delta': {
            // Output tokens here are cumulative; input tokens appear only on some (server tools).
            const u = usage(e.usage);
            if (u.outputTokens !== undefined) r.outputTokens = u.outputTokens;
            if (u.inputTokens !== undefined) r.inputTokens = u.inputTokens;
            if (isObj(e.delta) && str(e.delta.stop_reason)) stop = e.delta.stop_reason as string;
            break;
          }
          case 'content_block_delta':
            if (full && isObj(e.delta) && typeof e.delta.text === 'string') text += e.delta.text;
            break;
        }
      },
      result() {
        if (stop) r.finishReasons = [stop];
        if (full) r.outputMessages = toJson([textMessage('assistant', text, stop)]);
        return r;
      },
    };
  },
};

export function patchAnthropic(exports: unknown): number {
  const Anthropic = exported(exports, 'Anthropic');
  if (typeof Anthropic !== 'function') return 0;
  const Messages = (Anthropic as unknown as Obj).Messages as Obj | undefined;
  return wrapMethod(Messages?.prototype, 'create', messages) ? 1 : 0;
}
