/**
 * Per-session totals: what one batch adds to its session (runs, steps, LLM requests, tokens, user
 * inputs), and the summary metrics of a session once it has ended. The summary is a set of
 * histograms with no per-session label, so cardinality stays bounded however many sessions there
 * are: a dashboard shows "runs per session" or "session duration" as distributions (p50, mean =
 * sum/count). Each run also carries `session.id` on its resource, so Jaeger groups the
 * traces of one session. Pure: no I/O.
 */
import type { Batch, MetricRecord } from '../model/records';
import type { SessionRecord, SessionTotals } from './store';

/** Counted from the raw batch, so the recorder needs no extra bookkeeping. */
export function totalsOf(batch: Batch): SessionTotals {
  let runs = 0;
  let steps = 0;
  let llmRequests = 0;
  let tokens = 0;
  let userInputs = 0;
  for (const s of batch.spans) {
    const a = s.attributes;
    // The command span: the only one with an outcome (under a parent process it has a parent too).
    if (a['devtool.command.outcome'] !== undefined && a['devtool.command.name'] !== undefined) runs++;
    else if (a['devtool.step.name'] !== undefined) steps++;
    else if (a['gen_ai.operation.name'] !== undefined) {
      llmRequests++;
      const i = a['gen_ai.usage.input_tokens'];
      const o = a['gen_ai.usage.output_tokens'];
      if (typeof i === 'number' && Number.isFinite(i) && i > 0) tokens += i;
      if (typeof o === 'number' && Number.isFinite(o) && o > 0) tokens += o;
    }
  }
  for (const m of batch.metrics) {
    if (m.name !== 'devtool.user_input.count') continue;
    for (const p of m.points) if ('value' in p && Number.isFinite(p.value)) userInputs += p.value;
  }
  return { runs, steps, llmRequests, tokens, userInputs };
}

const COUNT_BOUNDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000];
const DURATION_BOUNDS = [10, 60, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400];
const TOKEN_BOUNDS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

/** The summary instruments: name, unit, description, bounds, and how to read the value. */
export const SESSION_METRICS: ReadonlyArray<{
  name: string;
  unit: string;
  description: string;
  bounds: number[];
  value: (r: SessionRecord) => number;
}> = [
  { name: 'devtool.session.duration', unit: 's', description: 'Duration of ended sessions (first run start to last run end).', bounds: DURATION_BOUNDS, value: (r) => Math.max(0, (r.lastSeenAt - r.startedAt) / 1000) },
  { name: 'devtool.session.runs', unit: '{run}', description: 'Command runs per ended session.', bounds: COUNT_BOUNDS, value: (r) => r.totals.runs },
  { name: 'devtool.session.steps', unit: '{step}', description: 'Development steps per ended session.', bounds: COUNT_BOUNDS, value: (r) => r.totals.steps },
  { name: 'devtool.session.llm_requests', unit: '{request}', description: 'LLM requests per ended session.', bounds: COUNT_BOUNDS, value: (r) => r.totals.llmRequests },
  { name: 'devtool.session.tokens', unit: '{token}', description: 'LLM tokens (input + output) per ended session.', bounds: TOKEN_BOUNDS, value: (r) => r.totals.tokens },
  { name: 'devtool.session.user_inputs', unit: '{input}', description: 'User inputs per ended session.', bounds: COUNT_BOUNDS, value: (r) => r.totals.userInputs },
];

/** One delta histogram point per instrument for each ended session (usually exactly one). */
export function summaryMetrics(ended: SessionRecord[], startNs: string, endNs: string): MetricRecord[] {
  if (ended.length === 0) return [];
  return SESSION_METRICS.map((m) => {
    const bucketCounts = new Array<number>(m.bounds.length + 1).fill(0);
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const r of ended) {
      const v = m.value(r);
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
      let i = 0;
      while (i < m.bounds.length && v > m.bounds[i]!) i++;
      bucketCounts[i]! += 1;
    }
    return {
      name: m.name,
      unit: m.unit,
      description: m.description,
      type: 'histogram' as const,
      startTimeUnixNano: startNs,
      timeUnixNano: endNs,
      points: [{ attributes: {}, count: ended.length, sum, min, max, bounds: [...m.bounds], bucketCounts }],
    };
  });
}
