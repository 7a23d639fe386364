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
import { currentRecorder } from '../recorder/current';
import { callOriginal, exported, installWrapper, isObj, unwrappedMethod, whenSettled, type Obj } from './patch';
import { endToolSpan, startToolSpan } from './tool-span';


/** Majors whose Client.callTool signature we have tested against. */
export const MCP_MAJORS = [1];

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function callId(params: Obj): string | undefined {
  const meta = params._meta;
  if (!isObj(meta)) return undefined;
  return str(meta['gen_ai.tool.call.id']) ?? str(meta.toolCallId);
}

/** Patch `Client` from the SDK's client module (CJS exports or ESM namespace). Returns methods patched. */
export function patchMcp(exports: unknown): number {
  const Client = exported(exports, 'Client');
  const proto = typeof Client === 'function' ? (Client.prototype as Obj) : undefined;
  const orig = unwrappedMethod(proto, 'callTool');
  if (!proto || !orig) return 0;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const span = begin(args[0]);
    if (!span) return orig.apply(this, args);
    const result = callOriginal(orig, this, args, (err) => span.end(err));
    if (!result || typeof (result as PromiseLike<unknown>).then !== 'function') {
      span.end();
      return result;
    }
    return whenSettled(
      result,
      (r) => {
        span.end(undefined, r);
        return r;
      },
      (err) => span.end(err),
    );
  };
  installWrapper(proto, 'callTool', orig, wrapped);
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
    const t = startToolSpan(recorder, name, callId(params), params.arguments);
    let done = false;
    return {
      end(error, result) {
        if (done) return;
        done = true;
        const r = isObj(result) ? result : undefined;
        endToolSpan(t, { error, failure: r?.isError === true ? 'tool_error' : undefined, result: r ? (r.structuredContent ?? r.content) : undefined });
      },
    };
  } catch {
    return undefined;
  }
}
