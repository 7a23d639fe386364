/**
 * The public API for tools that want more than the preload records. Every function is a cheap
 * no-op when telemetry is off (no recorder), and none ever throws into the caller because of
 * telemetry: a tool's own errors pass through unchanged.
 */
import { SpanKind } from './model/records';
import type { Attributes, AttrValue } from './model/records';
import { errorType } from './recorder/error-type';
import { currentRecorder, type Recorder } from './recorder/current';
import { logException } from './recorder/events';
import { activeSpan, runWithSpan } from './recorder/context';
import { INSTRUMENTS } from './model/instruments';
import type { LiveSpan } from './recorder/run';
import { LlmCall } from './instrument/llm-call';

/** Handle of a step started without a callback; call end() once. */
export interface StepHandle {
  end(outcome?: 'success' | 'failure', error?: unknown): void;
}

const NOOP_STEP: StepHandle = { end() {} };

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return !!v && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Names this run's command (the span becomes `{tool} {name}`) and adds declared attributes.
 * Use it when the preload cannot tell the subcommand from argv (a flag-first CLI, a REPL).
 */
export function command(name: string, attributes?: Record<string, AttrValue>): void {
  const recorder = currentRecorder();
  if (!recorder || typeof name !== 'string') return;
  recorder.run.subcommand = name;
  if (attributes) recorder.run.root.setAttributes(attributes);
}

function openStep(recorder: Recorder, name: string): LiveSpan {
  return recorder.run.startSpan(`step ${name}`, SpanKind.INTERNAL, { 'devtool.step.name': name }, activeSpan());
}

function closeStep(recorder: Recorder, span: LiveSpan, failed: boolean, err?: unknown): void {
  const outcome = failed ? 'failure' : 'success';
  span.attributes['devtool.step.outcome'] = outcome;
  if (failed) span.fail(err === undefined ? '_OTHER' : errorType(err));
  if (failed && err !== undefined) logException(recorder.run, err, span);
  const record = span.end();
  if (!record) return;
  const seconds = (Number(BigInt(record.endTimeUnixNano) - BigInt(record.startTimeUnixNano)) / 1e9);
  const attrs: Attributes = { 'devtool.step.name': span.attributes['devtool.step.name'] as string, 'devtool.step.outcome': outcome };
  if (failed) attrs['error.type'] = span.attributes['error.type'] as string;
  recorder.run.metrics.record(INSTRUMENTS.stepDuration, seconds, attrs);
}

/**
 * A development step (plan, edit, run-tests...): a span nested under the current command or
 * step, with outcome and duration. With a callback, returns its result (or promise) unchanged;
 * without one, returns a handle to end().
 */
export function step<T>(name: string, fn: () => T): T;
export function step(name: string): StepHandle;
export function step<T>(name: string, fn?: () => T): T | StepHandle {
  const recorder = currentRecorder();
  if (!recorder || !recorder.run.allows('usage')) return fn ? fn() : NOOP_STEP;
  const span = openStep(recorder, name);
  if (!fn) {
    return { end: (outcome = 'success', error?: unknown) => closeStep(recorder, span, outcome === 'failure', error) };
  }
  let result: T;
  try {
    result = runWithSpan(span, fn);
  } catch (err) {
    closeStep(recorder, span, true, err);
    throw err;
  }
  if (isThenable(result)) {
    (result as PromiseLike<unknown>).then(
      () => closeStep(recorder, span, false),
      (err: unknown) => closeStep(recorder, span, true, err),
    );
  } else {
    closeStep(recorder, span, false);
  }
  return result;
}

/** What is known about one LLM request. Token counts and models only; never prompt text. */
export interface LlmRequestInfo {
  /** `gen_ai.provider.name`: openai, anthropic, azure.ai.openai, gcp.gemini, ollama... */
  provider: string;
  /** Requested model. */
  model: string;
  /** `gen_ai.operation.name`: chat (default), text_completion, embeddings, ... */
  operation?: string;
  responseModel?: string;
  inputTokens?: number;
  outputTokens?: number;
  finishReasons?: string[];
  /** For a request recorded after the fact. */
  durationMs?: number;
  /** The error the request failed with (only its class is kept). */
  error?: unknown;
}

type UsageLike = {
  model?: unknown;
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; input_tokens?: unknown; output_tokens?: unknown };
  choices?: Array<{ finish_reason?: unknown }>;
  stop_reason?: unknown;
};

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** Reads OpenAI- and Anthropic-shaped responses: model, usage and finish reasons. */
export function usageFromResponse(res: unknown): Partial<LlmRequestInfo> {
  if (!res || typeof res !== 'object') return {};
  const r = res as UsageLike;
  const out: Partial<LlmRequestInfo> = {};
  if (typeof r.model === 'string') out.responseModel = r.model;
  const u = r.usage;
  if (u && typeof u === 'object') {
    out.inputTokens = num(u.input_tokens) ?? num(u.prompt_tokens);
    out.outputTokens = num(u.output_tokens) ?? num(u.completion_tokens);
  }
  const reasons: string[] = [];
  if (Array.isArray(r.choices)) for (const c of r.choices) if (typeof c?.finish_reason === 'string') reasons.push(c.finish_reason);
  if (typeof r.stop_reason === 'string') reasons.push(r.stop_reason);
  if (reasons.length) out.finishReasons = reasons;
  return out;
}

/** The same GenAI span and metrics as an automatically captured call (instrument/llm-call.ts). */
function openLlm(recorder: Recorder, info: LlmRequestInfo, startNs?: bigint): LlmCall {
  return new LlmCall(recorder, { provider: info.provider, operation: info.operation || 'chat', model: info.model, startNs });
}

function recordLlm(call: LlmCall, info: LlmRequestInfo): void {
  const { responseModel, inputTokens, outputTokens, finishReasons } = info;
  call.update({ responseModel, inputTokens, outputTokens, finishReasons });
  call.end(info.error);
}

/**
 * An LLM request as a GenAI client span plus `gen_ai.client.token.usage` and
 * `gen_ai.client.operation.duration`. Either record one after the fact (`llmRequest(info)`), or
 * wrap the call (`await llmRequest({ provider, model }, () => client.chat.completions.create(...))`):
 * then usage, response model and finish reasons are read from an OpenAI- or Anthropic-shaped result.
 */
export function llmRequest(info: LlmRequestInfo): void;
export function llmRequest<T>(info: LlmRequestInfo, fn: () => Promise<T>): Promise<T>;
export function llmRequest<T>(info: LlmRequestInfo, fn?: () => Promise<T>): void | Promise<T> {
  const recorder = currentRecorder();
  if (!recorder || !recorder.run.allows('usage') || !info || typeof info.model !== 'string' || typeof info.provider !== 'string') {
    return fn ? fn() : undefined;
  }
  if (!fn) {
    const { nowNs } = require('./recorder/clock') as typeof import('./recorder/clock');
    const ms = num(info.durationMs) ?? 0;
    recordLlm(openLlm(recorder, info, nowNs() - BigInt(Math.round(ms * 1e6))), info);
    return undefined;
  }
  const call = openLlm(recorder, info);
  let pending: Promise<T>;
  try {
    pending = Promise.resolve(runWithSpan(call.liveSpan, fn));
  } catch (err) {
    recordLlm(call, { ...info, error: err });
    throw err;
  }
  return pending.then(
    (res) => {
      recordLlm(call, { ...info, ...usageFromResponse(res), ...stripUndefined(info) });
      return res;
    },
    (err: unknown) => {
      recordLlm(call, { ...info, error: err });
      throw err;
    },
  );
}

function stripUndefined(info: LlmRequestInfo): Partial<LlmRequestInfo> {
  const out: Partial<LlmRequestInfo> = {};
  for (const [k, v] of Object.entries(info)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Counts an input a person typed (a prompt, an answer); never its text. */
export function userInput(kind = 'prompt'): void {
  const recorder = currentRecorder();
  if (!recorder || !recorder.run.allows('usage')) return;
  recorder.run.metrics.add(INSTRUMENTS.userInputs, 1, { 'devtool.user_input.kind': typeof kind === 'string' ? kind : 'prompt' });
}

/**
 * Ends the run now and hands its records to the spool (and the shipper), for apps that want
 * to be explicit. Resolves at once: delivery happens in the detached shipper.
 */
export function shutdown(): Promise<void> {
  const recorder = currentRecorder();
  if (recorder) {
    try {
      recorder.finish(typeof process.exitCode === 'number' ? process.exitCode : 0);
    } catch {
      /* never throw into the app */
    }
  }
  return Promise.resolve();
}

/** Flushes what was recorded so far (long-running apps), keeping the run open. */
export function flush(): void {
  currentRecorder()?.flush();
}

/** Whether this process records telemetry, and at which level. */
export function telemetryLevel(): 'off' | 'minimal' | 'usage' | 'full' {
  return currentRecorder()?.level ?? 'off';
}
