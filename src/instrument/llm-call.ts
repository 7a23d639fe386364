/**
 * One captured LLM request as a GenAI CLIENT span (`{operation} {model}`, nested under the
 * command or step that made it) plus the `gen_ai.client.token.usage` and
 * `gen_ai.client.operation.duration` metrics. The public `llmRequest()` records through it too; a
 * captured call's span can end later than the call returns (streams end when the app has read them) and what is
 * known arrives piecemeal (model from the first chunk, usage from the last).
 *
 * Content (`gen_ai.input.messages`, `gen_ai.output.messages`, `gen_ai.system_instructions`) is
 * only ever gathered at level `full`; below it the instrumentation does not even build it. The
 * sanitizer still scrubs it at `full`.
 */
import { Severity, SpanKind } from '../model/records';
import type { Attributes } from '../model/records';
import { activeSpan } from '../recorder/context';
import { errorType } from '../recorder/error-type';
import type { Recorder } from '../recorder/current';
import { INSTRUMENTS } from '../model/instruments';
import type { LiveSpan } from '../recorder/run';

export interface LlmCallStart {
  provider: string;
  operation: string;
  /** server.address / server.port of the API called, when the client tells (its baseURL). */
  serverAddress?: string;
  serverPort?: number;
  /** The requested model, when the request named one. */
  model?: string;
  /** Request parameters worth keeping (gen_ai.request.max_tokens, temperature, top_p). */
  request?: Attributes;
  /** At `full` only: JSON strings for gen_ai.input.messages / gen_ai.system_instructions. */
  inputMessages?: string;
  systemInstructions?: string;
  /** When the call started, if before now (a call recorded after the fact: api.ts llmRequest). */
  startNs?: bigint;
}

/** What the response told us; every field optional, merged as it arrives. */
export interface LlmResult {
  responseModel?: string;
  inputTokens?: number;
  outputTokens?: number;
  finishReasons?: string[];
  /** At `full` only: JSON string for gen_ai.output.messages. */
  outputMessages?: string;
}

export class LlmCall {
  private readonly span: LiveSpan;
  private readonly result: LlmResult = {};
  private done = false;

  constructor(
    private readonly recorder: Recorder,
    private readonly start: LlmCallStart,
  ) {
    const attrs: Attributes = {
      'gen_ai.operation.name': start.operation,
      'gen_ai.provider.name': start.provider,
    };
    if (start.model) attrs['gen_ai.request.model'] = start.model;
    Object.assign(attrs, serverAttrs(start));
    if (start.request) Object.assign(attrs, start.request);
    if (start.inputMessages !== undefined) attrs['gen_ai.input.messages'] = start.inputMessages;
    if (start.systemInstructions !== undefined) attrs['gen_ai.system_instructions'] = start.systemInstructions;
    const name = start.model ? `${start.operation} ${start.model}` : start.operation;
    this.span = recorder.run.startSpan(name, SpanKind.CLIENT, attrs, activeSpan(), start.startNs);
  }

  /** The span, for nesting what the call does under it (api.ts runs the app's function in it). */
  get liveSpan(): LiveSpan {
    return this.span;
  }

  get ended(): boolean {
    return this.done;
  }

  /** Merge what a response (or a stream chunk) revealed. Later values win; undefined never erases. */
  update(part: LlmResult): void {
    if (this.done) return;
    const r = this.result;
    if (part.responseModel !== undefined) r.responseModel = part.responseModel;
    if (part.inputTokens !== undefined) r.inputTokens = part.inputTokens;
    if (part.outputTokens !== undefined) r.outputTokens = part.outputTokens;
    if (part.finishReasons?.length) r.finishReasons = part.finishReasons;
    if (part.outputMessages !== undefined) r.outputMessages = part.outputMessages;
  }

  /** Forget the call (a result shape we do not know): its span is never ended, so never recorded. */
  discard(): void {
    this.done = true;
  }

  /** Ends the span once with what is known; `error` keeps its class only. */
  end(error?: unknown): void {
    if (this.done) return;
    this.done = true;
    const { span, result: r, start } = this;
    const attrs = span.attributes;
    if (r.responseModel) attrs['gen_ai.response.model'] = r.responseModel;
    if (r.inputTokens !== undefined) attrs['gen_ai.usage.input_tokens'] = r.inputTokens;
    if (r.outputTokens !== undefined) attrs['gen_ai.usage.output_tokens'] = r.outputTokens;
    if (r.finishReasons?.length) attrs['gen_ai.response.finish_reasons'] = r.finishReasons;
    if (r.outputMessages !== undefined) attrs['gen_ai.output.messages'] = r.outputMessages;
    if (error !== undefined) span.fail(errorType(error));
    const record = span.end();
    if (!record) return;
    // At `full` (the only level content is gathered at): the same content as a log-based event too.
    if (start.inputMessages !== undefined || start.systemInstructions !== undefined || r.outputMessages !== undefined) {
      const ev: Attributes = { 'gen_ai.operation.name': start.operation, 'gen_ai.provider.name': start.provider };
      if (start.model) ev['gen_ai.request.model'] = start.model;
      if (r.responseModel) ev['gen_ai.response.model'] = r.responseModel;
      if (start.inputMessages !== undefined) ev['gen_ai.input.messages'] = start.inputMessages;
      if (start.systemInstructions !== undefined) ev['gen_ai.system_instructions'] = start.systemInstructions;
      if (r.outputMessages !== undefined) ev['gen_ai.output.messages'] = r.outputMessages;
      if (error !== undefined) ev['error.type'] = attrs['error.type'] as string;
      this.recorder.run.log('gen_ai.client.inference.operation.details', ev, Severity.INFO, span);
    }

    const metricAttrs: Attributes = {
      'gen_ai.operation.name': start.operation,
      'gen_ai.provider.name': start.provider,
    };
    if (start.model) metricAttrs['gen_ai.request.model'] = start.model;
    Object.assign(metricAttrs, serverAttrs(start));
    if (r.responseModel) metricAttrs['gen_ai.response.model'] = r.responseModel;
    const seconds = Number(BigInt(record.endTimeUnixNano) - BigInt(record.startTimeUnixNano)) / 1e9;
    const metrics = this.recorder.run.metrics;
    metrics.record(
      INSTRUMENTS.llmDuration,
      seconds,
      error !== undefined ? { ...metricAttrs, 'error.type': attrs['error.type'] as string } : metricAttrs,
    );
    if (r.inputTokens !== undefined) {
      metrics.record(INSTRUMENTS.tokenUsage, r.inputTokens, { ...metricAttrs, 'gen_ai.token.type': 'input' });
    }
    if (r.outputTokens !== undefined) {
      metrics.record(INSTRUMENTS.tokenUsage, r.outputTokens, { ...metricAttrs, 'gen_ai.token.type': 'output' });
    }
  }
}

function serverAttrs(start: LlmCallStart): Attributes {
  const out: Attributes = {};
  if (start.serverAddress) out['server.address'] = start.serverAddress;
  if (start.serverAddress && start.serverPort) out['server.port'] = start.serverPort;
  return out;
}

/** A finite, non-negative number, or undefined (servers send nulls, strings, NaN...). */
export function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** A non-empty string, or undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Numeric request parameters the GenAI conventions name; anything else in the body is ignored. */
export function requestParams(body: Record<string, unknown>, maxTokensKeys: string[]): Attributes {
  const out: Attributes = {};
  for (const k of maxTokensKeys) {
    const n = count(body[k]);
    if (n !== undefined) {
      out['gen_ai.request.max_tokens'] = n;
      break;
    }
  }
  const t = body.temperature;
  if (typeof t === 'number' && Number.isFinite(t)) out['gen_ai.request.temperature'] = t;
  const p = body.top_p;
  if (typeof p === 'number' && Number.isFinite(p)) out['gen_ai.request.top_p'] = p;
  return out;
}
