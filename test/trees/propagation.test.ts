// The environment carrier's parsing and writing rules (pure functions; the process-level
// behaviour is covered with real processes in process-trees.test.ts).
import { describe, expect, it } from 'vitest';
import { childEnv, extractContext, parsePropagators, parseTraceparent, validBaggage, validTracestate } from '../../src/recorder/propagation';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

describe('TRACEPARENT', () => {
  it('accepts version 00 with the sampled flag read from bit 0, and future versions with more fields', () => {
    expect(parseTraceparent(`00-${T}-${S}-01`)).toEqual({ traceId: T, spanId: S, sampled: true });
    expect(parseTraceparent(`00-${T}-${S}-00`)).toEqual({ traceId: T, spanId: S, sampled: false });
    expect(parseTraceparent(`00-${T}-${S}-03`)?.sampled).toBe(true);
    expect(parseTraceparent(`01-${T}-${S}-01-future`)).toEqual({ traceId: T, spanId: S, sampled: true });
  });
  it('rejects everything else', () => {
    for (const bad of [undefined, 42, '', 'x', `ff-${T}-${S}-01`, `00-${T.toUpperCase()}-${S}-01`, `00-${'0'.repeat(32)}-${S}-01`, `00-${T}-${'0'.repeat(16)}-01`, `00-${T}-${S}-01-x`, `00-${T}-${S}`, `00-${T}-${S}-1`, 'a'.repeat(300)]) {
      expect(parseTraceparent(bad), String(bad)).toBeUndefined();
    }
  });
});

describe('TRACESTATE and BAGGAGE', () => {
  it('keeps well-formed values, drops malformed or oversized ones', () => {
    expect(validTracestate('vendor=opaque, other@sys=1')).toBe('vendor=opaque,other@sys=1');
    expect(validTracestate('===')).toBeUndefined();
    expect(validTracestate('a=1,a=2')).toBeUndefined();
    expect(validTracestate(Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(','))).toBeUndefined();
    expect(validBaggage('build.id=42,repo=x')).toBe('build.id=42,repo=x');
    expect(validBaggage('\u0001')).toBeUndefined();
    expect(validBaggage('k=' + 'v'.repeat(9000))).toBeUndefined();
  });
});

describe('OTEL_PROPAGATORS', () => {
  it('defaults to tracecontext,baggage; honours none and subsets; ignores unknown names', () => {
    expect(parsePropagators(undefined)).toEqual({ traceContext: true, baggage: true });
    expect(parsePropagators('')).toEqual({ traceContext: true, baggage: true });
    expect(parsePropagators('none')).toEqual({ traceContext: false, baggage: false });
    expect(parsePropagators('tracecontext, none')).toEqual({ traceContext: false, baggage: false });
    expect(parsePropagators('baggage')).toEqual({ traceContext: false, baggage: true });
    expect(parsePropagators('b3,TraceContext')).toEqual({ traceContext: true, baggage: false });
  });
  it('with none, a valid TRACEPARENT is not extracted', () => {
    expect(extractContext({ TRACEPARENT: `00-${T}-${S}-01`, OTEL_PROPAGATORS: 'none' }).parent).toBeUndefined();
    expect(extractContext({ TRACEPARENT: `00-${T}-${S}-01` }).parent).toEqual({ traceId: T, spanId: S, sampled: true });
  });
});

describe('what a child inherits', () => {
  const inherited = extractContext({ TRACEPARENT: `00-${T}-${S}-01`, TRACESTATE: 'v=1' });
  const span = { traceId: T, spanId: '1111111111111111', sampled: true };
  it('a parent: TRACEPARENT at the given span, the tracestate as received, the tree markers', () => {
    const { set, unset } = childEnv(inherited, { span, detached: false, sessionId: 'abc', treeSessionBase: 'tool-0000abcd' });
    expect(set).toEqual({ TRACEPARENT: `00-${T}-1111111111111111-01`, TRACESTATE: 'v=1', DEVTOOL_TELEMETRY_TREE: 'tool-0000abcd', DEVTOOL_TELEMETRY_SESSION_ID: 'abc' });
    expect(unset).toEqual(['DEVTOOL_TELEMETRY_LINK']);
  });
  it('detached: a link instead of a parent, and no inherited TRACEPARENT', () => {
    const { set, unset } = childEnv(inherited, { span, detached: true, treeSessionBase: '' });
    expect(set).toEqual({ DEVTOOL_TELEMETRY_LINK: `00-${T}-1111111111111111-01`, DEVTOOL_TELEMETRY_TREE: '-' });
    expect(unset).toEqual(['TRACEPARENT', 'TRACESTATE']);
  });
  it('a malformed tree marker is not "in a tree"', () => {
    expect(extractContext({ DEVTOOL_TELEMETRY_TREE: '../../etc' }).inTree).toBe(false);
    expect(extractContext({ DEVTOOL_TELEMETRY_TREE: 'tool-0000abcd' })).toMatchObject({ inTree: true, treeSessionBase: 'tool-0000abcd' });
  });
});
