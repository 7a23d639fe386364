/**
 * A tool an agent executed between two model calls, as a GenAI `execute_tool {name}` span under
 * the active step or command: the same span whether MCP's client (mcp.ts) or the AI SDK (ai-sdk.ts)
 * reports it. Arguments only at level `full`; the sanitizer still scrubs them there.
 */
import { SpanKind, type Attributes } from '../model/records';
import { activeSpan } from '../recorder/context';
import { errorType } from '../recorder/error-type';
import type { Recorder } from '../recorder/current';
import type { LiveSpan } from '../recorder/run';
import { json } from './patch';

export interface ToolSpan {
  span: LiveSpan;
  /** Level `full`: the result may be recorded too. */
  full: boolean;
}

export function startToolSpan(recorder: Recorder, name: string, callId: string | undefined, args: unknown): ToolSpan {
  const full = recorder.level === 'full';
  const attrs: Attributes = { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name };
  if (callId) attrs['gen_ai.tool.call.id'] = callId;
  if (full) {
    const a = json(args);
    if (a !== undefined) attrs['gen_ai.tool.call.arguments'] = a;
  }
  return { span: recorder.run.startSpan(`execute_tool ${name}`, SpanKind.INTERNAL, attrs, activeSpan()), full };
}

/** Ends the span: an error keeps its class only; the result (JSON) only at `full`. */
export function endToolSpan(t: ToolSpan, outcome: { error?: unknown; failure?: string; result?: unknown }): void {
  try {
    if (outcome.error !== undefined) t.span.fail(errorType(outcome.error));
    else if (outcome.failure) t.span.fail(outcome.failure);
    if (t.full && outcome.result !== undefined) {
      const out = json(outcome.result);
      if (out !== undefined) t.span.attributes['gen_ai.tool.call.result'] = out;
    }
  } finally {
    t.span.end();
  }
}
