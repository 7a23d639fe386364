/**
 * MCP tool calls (`@modelcontextprotocol/sdk` 1.x `Client.prototype.callTool`) as GenAI
 * `execute_tool {tool}` spans (INTERNAL), nested under the span active when the app called the
 * tool (its step, or the command): what an agent does between two model calls.
 *
 * Outcome: a thrown error (transport, timeout, protocol) keeps its class as `error.type`; a result
 * with `isError: true` (the tool itself failed) is `tool_error`, as the MCP conventions say.
 * Arguments and result (`gen_ai.tool.call.arguments` / `.result`) are only built at `full`.
 * MCP has no model-issued call id, so `gen_ai.tool.call.id` is set only when the app passes one
 * in the request's `_meta` (`gen_ai.tool.call.id` or `toolCallId`, as agent frameworks do).
 */
import { SpanKind, type Attributes } from '../model/records';
import { activeSpan } from '../recorder/context';
import { errorType } from '../recorder/error-type';
import { currentRecorder } from '../recorder/current';
import { WRAPPED } from './stainless';

type Obj = Record<string, unknown>;
type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

/** Majors whose Client.callTool signature we have tested against. */
export const MCP_MAJORS = [1];

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object';
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function json(v: unknown): string | undefined {
  try {
    return v === undefined ? undefined : JSON.stringify(v);
  } catch {
    return undefined;
  }
}

function callId(params: Obj): string | undefined {
  const meta = params._meta;
  if (!isObj(meta)) return undefined;
  return str(meta['gen_ai.tool.call.id']) ?? str(meta.toolCallId);
}

/** Patch `Client` from the SDK's client module (CJS exports or ESM namespace). Returns methods patched. */
export function patchMcp(exports: unknown): number {
  const Client = isObj(exports) || typeof exports === 'function' ? (exports as Obj).Client : undefined;
  const proto = typeof Client === 'function' ? (Client.prototype as Obj) : undefined;
  const original = proto?.callTool;
  if (!proto || typeof original !== 'function' || (original as unknown as Obj)[WRAPPED as unknown as string]) return 0;
  const orig = original as AnyFn;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const span = begin(args[0]);
    if (!span) return orig.apply(this, args);
    let result: unknown;
    try {
      result = orig.apply(this, args);
    } catch (err) {
      span.end(err);
      throw err;
    }
    if (!result || typeof (result as PromiseLike<unknown>).then !== 'function') {
      span.end();
      return result;
    }
    return (result as Promise<unknown>).then(
      (r) => {
        span.end(undefined, r);
        return r;
      },
      (err: unknown) => {
        span.end(err);
        throw err;
      },
    );
  };
  Object.defineProperty(wrapped, 'name', { value: orig.name });
  Object.defineProperty(wrapped, 'length', { value: orig.length });
  Object.defineProperty(wrapped, WRAPPED, { value: orig });
  proto.callTool = wrapped;
  return 1;
}

interface ToolSpan {
  end(error?: unknown, result?: unknown): void;
}

function begin(params: unknown): ToolSpan | undefined {
  try {
    const recorder = currentRecorder();
    if (!recorder || !recorder.run.allows('usage') || recorder.run.root.ended || !isObj(params)) return undefined;
    const name = str(params.name);
    if (!name) return undefined; // the SDK rejects it; nothing to name the span after
    const full = recorder.level === 'full';
    const attrs: Attributes = { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name };
    const id = callId(params);
    if (id) attrs['gen_ai.tool.call.id'] = id;
    if (full) {
      const args = json(params.arguments);
      if (args !== undefined) attrs['gen_ai.tool.call.arguments'] = args;
    }
    const span = recorder.run.startSpan(`execute_tool ${name}`, SpanKind.INTERNAL, attrs, activeSpan());
    let done = false;
    return {
      end(error, result) {
        if (done) return;
        done = true;
        try {
          if (error !== undefined) span.fail(errorType(error));
          else if (isObj(result) && result.isError === true) span.fail('tool_error');
          if (full && isObj(result)) {
            const out = json(result.structuredContent ?? result.content);
            if (out !== undefined) span.attributes['gen_ai.tool.call.result'] = out;
          }
        } finally {
          span.end();
        }
      },
    };
  } catch {
    return undefined;
  }
}
