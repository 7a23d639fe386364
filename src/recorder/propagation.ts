/**
 * Trace context through the environment, as the OpenTelemetry specification for environment
 * variables as context propagation carriers says (context/env-carriers.md): W3C `traceparent`,
 * `tracestate` and `baggage` under the names TRACEPARENT, TRACESTATE and BAGGAGE, read once at
 * start, written only into the environment a child inherits (never into this process's own
 * `process.env`: the spec's "environment variable immutability"). OTEL_PROPAGATORS selects the
 * formats (`tracecontext`, `baggage`, `none`; default both, as in the SDK); other names are ignored.
 *
 * Our own tree state travels next to it, in DEVTOOL_TELEMETRY_* variables:
 *  - DEVTOOL_TELEMETRY_SESSION_ID (session/index.ts): the tree's session id;
 *  - DEVTOOL_TELEMETRY_TREE: "started by a preloaded process" (no first-run notice: the top-level
 *    process speaks for the tree) and which session log the tree's runs add up in; `off` when the
 *    top-level process had telemetry off (tree-marker.ts): it said nothing, so its tree records
 *    only for tools whose notice was shown before, and prints none;
 *  - DEVTOOL_TELEMETRY_LINK: a traceparent-shaped value for a child that outlives its parent by
 *    design (detached): it starts its own trace and links to the span that started it.
 *
 * Pure string work, no I/O: it runs on the start path of every enabled run. Invalid values are
 * ignored silently (a tool runs; nobody reads a warning about someone else's variable).
 */

export const TRACEPARENT = 'TRACEPARENT';
export const TRACESTATE = 'TRACESTATE';
export const BAGGAGE = 'BAGGAGE';
export const TREE_ENV = 'DEVTOOL_TELEMETRY_TREE';
export const LINK_ENV = 'DEVTOOL_TELEMETRY_LINK';
/** DEVTOOL_TELEMETRY_TREE of a tree whose top-level process had telemetry off. */
export const TREE_OFF = 'off';

export interface SpanContextLike {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

export interface InheritedContext {
  /** A valid TRACEPARENT (tracecontext propagator on): this run's command span is its child. */
  parent?: SpanContextLike;
  /** TRACESTATE that came with the parent, validated, passed on unchanged. */
  traceState?: string;
  /** BAGGAGE (baggage propagator on), passed on unchanged; never recorded as attributes. */
  baggage?: string;
  /** DEVTOOL_TELEMETRY_LINK from a parent that detached us: linked, not parented. */
  link?: SpanContextLike;
  /** Started by a preloaded process (DEVTOOL_TELEMETRY_TREE present and well formed). */
  inTree: boolean;
  /** ... whose top-level process had telemetry off (DEVTOOL_TELEMETRY_TREE=off): it showed no notice. */
  topOff: boolean;
  /** Session log base name the tree counts its runs in ('' when the tree keeps no file). */
  treeSessionBase: string;
  propagators: Propagators;
}

export interface Propagators {
  traceContext: boolean;
  baggage: boolean;
}

// W3C Trace Context, version 00: 2-32-16-2 lowercase hex. A higher version may append fields
// after a dash; version ff is invalid; all-zero ids are invalid.
const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
// W3C tracestate list member: key=value; at most 32 members and 512 characters here.
const TS_KEY = /^(?:[a-z][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})$/;
const TS_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const MAX_TRACESTATE = 512;
// W3C Baggage limit (8192 bytes); only characters valid in an HTTP header value (RFC 9110).
const MAX_BAGGAGE = 8192;
const HEADER_VALUE_RE = /^[\t\x20-\x7e]*$/;
// Our tree marker: '-' (no session file), a session file base name (see session/store.ts), or
// 'off' (the top-level process had telemetry off).
const TREE_RE = /^(?:-|off|[a-z0-9._-]{1,48}-[0-9a-f]{8})$/;

export function parseTraceparent(raw: unknown): SpanContextLike | undefined {
  if (typeof raw !== 'string' || raw.length > 256) return undefined;
  const m = TRACEPARENT_RE.exec(raw.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(ctx: SpanContextLike): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? '01' : '00'}`;
}

export function validTracestate(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (!text || text.length > MAX_TRACESTATE) return undefined;
  const members = text.split(',').map((m) => m.trim()).filter(Boolean);
  if (members.length === 0 || members.length > 32) return undefined;
  const seen = new Set<string>();
  for (const m of members) {
    const eq = m.indexOf('=');
    if (eq <= 0) return undefined;
    const key = m.slice(0, eq);
    if (!TS_KEY.test(key) || !TS_VALUE.test(m.slice(eq + 1)) || seen.has(key)) return undefined;
    seen.add(key);
  }
  return members.join(',');
}

export function validBaggage(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || !raw || raw.length > MAX_BAGGAGE || !HEADER_VALUE_RE.test(raw)) return undefined;
  return raw;
}

/** OTEL_PROPAGATORS: comma-separated; unset or empty means the SDK default `tracecontext,baggage`. */
export function parsePropagators(raw: unknown): Propagators {
  if (typeof raw !== 'string' || raw.trim() === '') return { traceContext: true, baggage: true };
  const names = raw.split(',').map((s) => s.trim().toLowerCase());
  if (names.includes('none')) return { traceContext: false, baggage: false };
  return { traceContext: names.includes('tracecontext'), baggage: names.includes('baggage') };
}

/** Read once at start (the spec: "Child processes SHOULD extract context ... at startup"). */
export function extractContext(env: NodeJS.ProcessEnv): InheritedContext {
  const propagators = parsePropagators(env.OTEL_PROPAGATORS);
  const tree = env[TREE_ENV];
  const inTree = typeof tree === 'string' && TREE_RE.test(tree);
  const topOff = inTree && tree === TREE_OFF;
  const out: InheritedContext = { inTree, topOff, treeSessionBase: inTree && tree !== '-' && !topOff ? tree! : '', propagators };
  const link = propagators.traceContext ? parseTraceparent(env[LINK_ENV]) : undefined;
  if (link) out.link = link;
  if (propagators.traceContext && !link) {
    const parent = parseTraceparent(env[TRACEPARENT]);
    if (parent) {
      out.parent = parent;
      const state = validTracestate(env[TRACESTATE]);
      if (state) out.traceState = state;
    }
  }
  if (propagators.baggage) {
    const baggage = validBaggage(env[BAGGAGE]);
    if (baggage) out.baggage = baggage;
  }
  return out;
}

export interface ChildContext {
  /** The span the child runs under (CLIENT span of the caller), or to link to when detached. */
  span: SpanContextLike;
  detached: boolean;
  sessionId?: string;
  treeSessionBase: string;
}

/**
 * The variables a child should inherit: set ones in `set`, ones to remove in `unset`. A detached
 * child gets a link instead of a parent (and loses an inherited TRACEPARENT, which would otherwise
 * make it a child of our own parent).
 */
export function childEnv(inherited: InheritedContext, ctx: ChildContext): { set: Record<string, string>; unset: string[] } {
  // a tree whose top stayed silent stays so all the way down
  const set: Record<string, string> = { [TREE_ENV]: inherited.topOff ? TREE_OFF : ctx.treeSessionBase || '-' };
  const unset: string[] = [];
  if (ctx.sessionId) set.DEVTOOL_TELEMETRY_SESSION_ID = ctx.sessionId;
  if (inherited.propagators.traceContext) {
    if (ctx.detached) {
      set[LINK_ENV] = formatTraceparent(ctx.span);
      unset.push(TRACEPARENT, TRACESTATE);
    } else {
      set[TRACEPARENT] = formatTraceparent(ctx.span);
      if (inherited.traceState) set[TRACESTATE] = inherited.traceState;
      else unset.push(TRACESTATE);
      unset.push(LINK_ENV);
    }
  }
  // BAGGAGE passes through as the app's environment carries it: we add no entries of our own.
  return { set, unset };
}
