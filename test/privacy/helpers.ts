/** Shared builders for the privacy tests: a plausible batch, and sanitizer contexts. */
import type { Attributes, Batch, Level, SpanRecord } from '../../src/model/records';
import type { SanitizeContext } from '../../src/privacy/sanitize';

export const CTX: SanitizeContext = {
  level: 'full',
  home: '/home/qfakeuser',
  user: 'qfakeuser',
  host: 'qfake-laptop.corp.example',
  cwd: '/home/qfakeuser/work/acme-app',
};

let n = 0;
const hex = (len: number) => {
  n++;
  return (n.toString(16) + 'a1b2c3d4e5f60718293a4b5c6d7e8f90'.repeat(2)).slice(0, len);
};

export function span(attributes: Attributes, extra: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId: hex(32),
    spanId: hex(16),
    name: 'fixture-tool build',
    kind: 1,
    startTimeUnixNano: '1732440000000000000',
    endTimeUnixNano: '1732440001000000000',
    attributes,
    events: [],
    links: [],
    status: { code: 0 },
    scope: 'devtool-telemetry',
    ...extra,
  };
}

export function batch(level: Level, parts: Partial<Batch> = {}): Batch {
  return {
    v: 1,
    id: 'b-0001',
    createdAt: 1732440002000,
    level,
    resource: { 'service.name': 'fixture-tool', 'service.version': '1.2.3' },
    spans: [],
    metrics: [],
    ...parts,
  };
}
