/**
 * The log-based events we may emit (OTLP LogRecords with an EventName): the event half of the
 * catalog. The sanitizer drops a log record whose event is not listed here or not allowed at the
 * batch's level; its attributes are judged as span-event attributes (catalog target `event`).
 * TELEMETRY.md and model/ (our own events only: the others are the official conventions') are
 * generated from this list. Pure data: no I/O, no OpenTelemetry.
 */
import type { CatalogLevel } from './catalog';
import type { Requirement } from './signals';

export interface EventSpec {
  /** EventName of the log record (never the deprecated `event.name` attribute). */
  name: string;
  level: CatalogLevel;
  /** Defined by the official conventions (true) or by us, in model/devtool/events.yaml (false). */
  official: boolean;
  brief: string;
  attributes: ReadonlyArray<{ ref: string; requirement: Requirement }>;
}

export const EVENT_EXCEPTION = 'exception';
export const EVENT_SESSION_START = 'session.start';
export const EVENT_SESSION_END = 'session.end';
export const EVENT_FEATURE_USED = 'devtool.feature.used';
/** GenAI conventions (moved to their own repository at semconv v1.42.0, name unchanged). */
export const EVENT_GEN_AI_DETAILS = 'gen_ai.client.inference.operation.details';

const LIST: EventSpec[] = [
  {
    name: EVENT_EXCEPTION,
    level: 'minimal',
    official: true,
    brief: 'An uncaught exception, a failed step or a recorded exception: its class only; the message only at `full`, never the stack.',
    attributes: [
      { ref: 'exception.type', requirement: 'required' },
      { ref: 'exception.message', requirement: 'opt_in' },
    ],
  },
  {
    name: EVENT_SESSION_START,
    level: 'usage',
    official: true,
    brief: 'A session started (the first run after the previous one ended).',
    attributes: [
      { ref: 'session.id', requirement: 'required' },
      { ref: 'session.previous_id', requirement: { conditionally_required: 'when the new session follows an ended one' } },
    ],
  },
  {
    name: EVENT_SESSION_END,
    level: 'usage',
    official: true,
    brief: 'A session ended (idle or too old, seen by the next run; a per-process session ends with its process).',
    attributes: [{ ref: 'session.id', requirement: 'required' }],
  },
  {
    name: EVENT_FEATURE_USED,
    level: 'usage',
    official: false,
    brief: 'One use of a feature the tool declared, with the declared properties it passed (names under devtool.feature.*): a span event on the span it happened in and an OTLP log record.',
    attributes: [{ ref: 'devtool.feature.name', requirement: 'required' }],
  },
  {
    name: EVENT_GEN_AI_DETAILS,
    level: 'full',
    official: true,
    brief: 'Input and output messages of one LLM call, only at the `full` level (and scrubbed even then).',
    attributes: [
      { ref: 'gen_ai.operation.name', requirement: 'required' },
      { ref: 'gen_ai.provider.name', requirement: 'required' },
      { ref: 'gen_ai.request.model', requirement: { conditionally_required: 'if available' } },
      { ref: 'gen_ai.response.model', requirement: 'recommended' },
      { ref: 'gen_ai.input.messages', requirement: 'opt_in' },
      { ref: 'gen_ai.output.messages', requirement: 'opt_in' },
      { ref: 'gen_ai.system_instructions', requirement: 'opt_in' },
      { ref: 'error.type', requirement: { conditionally_required: 'if the operation ended in an error' } },
    ],
  },
];

export const EVENTS: readonly EventSpec[] = Object.freeze(LIST.map((e) => Object.freeze(e)));

const BY_NAME = new Map(EVENTS.map((e) => [e.name, e]));

export function findEvent(name: unknown): EventSpec | undefined {
  return typeof name === 'string' ? BY_NAME.get(name) : undefined;
}
