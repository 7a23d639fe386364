/**
 * The public API for tools that want more than the preload records. Every function is a cheap
 * no-op when telemetry is off (no agent), and none ever throws into the caller because of
 * telemetry: a tool's own errors pass through unchanged.
 */
import { SpanKind } from './model';
import type { Attributes, AttrValue } from './model';
import { errorType } from './recorder/error-type';
import { logException } from './recorder/events';
import { currentAgent, type Agent } from './recorder/global';
import { activeSpan, runWithSpan } from './recorder/context';
import { INSTRUMENTS } from './recorder/instruments';
import type { LiveSpan } from './recorder/run';

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
  const agent = currentAgent();
  if (!agent || typeof name !== 'string') return;
  agent.run.subcommand = name;
  if (attributes) agent.run.root.setAttributes(attributes);
}

function openStep(agent: Agent, name: string): LiveSpan {
  return agent.run.startSpan(`step ${name}`, SpanKind.INTERNAL, { 'devtool.step.name': name }, activeSpan());
}

function closeStep(agent: Agent, span: LiveSpan, failed: boolean, err?: unknown): void {
  const outcome = failed ? 'failure' : 'success';
  span.attributes['devtool.step.outcome'] = outcome;
  if (failed) span.fail(err === undefined ? '_OTHER' : errorType(err));
  if (failed && err !== undefined) logException(agent.run, err, span);
  const record = span.end();
  if (!record) return;
  const seconds = (Number(BigInt(record.endTimeUnixNano) - BigInt(record.startTimeUnixNano)) / 1e9);
  const attrs: Attributes = { 'devtool.step.name': span.attributes['devtool.step.name'] as string, 'devtool.step.outcome': outcome };
  if (failed) attrs['error.type'] = span.attributes['error.type'] as string;
  agent.run.metrics.record(INSTRUMENTS.stepDuration, seconds, attrs);
}

/**
 * A development step (plan, edit, run-tests...): a span nested under the current command or
 * step, with outcome and duration. With a callback, returns its result (or promise) unchanged;
 * without one, returns a handle to end().
 */
export function step<T>(name: string, fn: () => T): T;
export function step(name: string): StepHandle;
export function step<T>(name: string, fn?: () => T): T | StepHandle {
  const agent = currentAgent();
  if (!agent || !agent.run.allows('usage')) return fn ? fn() : NOOP_STEP;
  const span = openStep(agent, name);
  if (!fn) {
    return { end: (outcome = 'success', error?: unknown) => closeStep(agent, span, outcome === 'failure', error) };
  }
  let result: T;
  try {
    result = runWithSpan(span, fn);
  } catch (err) {
    closeStep(agent, span, true, err);
    throw err;
  }
  if (isThenable(result)) {
    (result as PromiseLike<unknown>).then(
      () => closeStep(agent, span, false),
      (err: unknown) => closeStep(agent, span, true, err),
    );
  } else {
    closeStep(agent, span, false);
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

function recordLlm(agent: Agent, info: LlmRequestInfo, span: LiveSpan): void {
  const operation = info.operation || 'chat';
  const attrs = span.attributes;
  if (info.responseModel) attrs['gen_ai.response.model'] = info.responseModel;
  if (info.inputTokens !== undefined) attrs['gen_ai.usage.input_tokens'] = info.inputTokens;
  if (info.outputTokens !== undefined) attrs['gen_ai.usage.output_tokens'] = info.outputTokens;
  if (info.finishReasons?.length) attrs['gen_ai.response.finish_reasons'] = info.finishReasons;
  if (info.error !== undefined) span.fail(errorType(info.error));
  const record = span.end();
  if (!record) return;
  const metricAttrs: Attributes = {
    'gen_ai.operation.name': operation,
    'gen_ai.provider.name': info.provider,
    'gen_ai.request.model': info.model,
  };
  if (info.responseModel) metricAttrs['gen_ai.response.model'] = info.responseModel;
  const seconds = Number(BigInt(record.endTimeUnixNano) - BigInt(record.startTimeUnixNano)) / 1e9;
  const durationAttrs = info.error !== undefined ? { ...metricAttrs, 'error.type': attrs['error.type'] as string } : metricAttrs;
  agent.run.metrics.record(INSTRUMENTS.llmDuration, seconds, durationAttrs);
  if (info.inputTokens !== undefined) {
    agent.run.metrics.record(INSTRUMENTS.tokenUsage, info.inputTokens, { ...metricAttrs, 'gen_ai.token.type': 'input' });
  }
  if (info.outputTokens !== undefined) {
    agent.run.metrics.record(INSTRUMENTS.tokenUsage, info.outputTokens, { ...metricAttrs, 'gen_ai.token.type': 'output' });
  }
}

function openLlm(agent: Agent, info: LlmRequestInfo, startNs?: bigint): LiveSpan {
  const operation = info.operation || 'chat';
  return agent.run.startSpan(
    `${operation} ${info.model}`,
    SpanKind.CLIENT,
    { 'gen_ai.operation.name': operation, 'gen_ai.provider.name': info.provider, 'gen_ai.request.model': info.model },
    activeSpan(),
    startNs,
  );
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
  const agent = currentAgent();
  if (!agent || !agent.run.allows('usage') || !info || typeof info.model !== 'string' || typeof info.provider !== 'string') {
    return fn ? fn() : undefined;
  }
  if (!fn) {
    const { nowNs } = require('./recorder/clock') as typeof import('./recorder/clock');
    const ms = num(info.durationMs) ?? 0;
    const span = openLlm(agent, info, nowNs() - BigInt(Math.round(ms * 1e6)));
    recordLlm(agent, info, span);
    return undefined;
  }
  const span = openLlm(agent, info);
  let pending: Promise<T>;
  try {
    pending = Promise.resolve(runWithSpan(span, fn));
  } catch (err) {
    recordLlm(agent, { ...info, error: err }, span);
    throw err;
  }
  return pending.then(
    (res) => {
      recordLlm(agent, { ...info, ...usageFromResponse(res), ...stripUndefined(info) }, span);
      return res;
    },
    (err: unknown) => {
      recordLlm(agent, { ...info, error: err }, span);
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
  const agent = currentAgent();
  if (!agent || !agent.run.allows('usage')) return;
  agent.run.metrics.add(INSTRUMENTS.userInputs, 1, { 'devtool.user_input.kind': typeof kind === 'string' ? kind : 'prompt' });
}

/**
 * Ends the run now and hands its records to the spool (and the shipper), for apps that want
 * to be explicit. Resolves at once: delivery happens in the detached shipper.
 */
export function shutdown(): Promise<void> {
  const agent = currentAgent();
  if (agent) {
    try {
      agent.finish(typeof process.exitCode === 'number' ? process.exitCode : 0);
    } catch {
      /* never throw into the app */
    }
  }
  return Promise.resolve();
}

/** Flushes what was recorded so far (long-running apps), keeping the run open. */
export function flush(): void {
  currentAgent()?.flush();
}

/** Whether this process records telemetry, and at which level. */
export function telemetryLevel(): 'off' | 'minimal' | 'usage' | 'full' {
  return currentAgent()?.level ?? 'off';
}
