// Jaeger traces -> what the pages show: one row per run (the trace's root span, usually a
// command-run span), and a trace as a waterfall (spans in tree order with depth, offset, duration and
// the few attributes a person reads first). Pure functions over Jaeger's /api/traces JSON.

const tagMap = (tags = []) => Object.fromEntries(tags.map((t) => [t.key, t.value]));

function isError(tags) {
  return tags.error === true || tags.error === 'true' || tags['otel.status_code'] === 'ERROR';
}

/** parent span id inside this trace (CHILD_OF first, then FOLLOWS_FROM), or undefined for a root */
function parentIn(span, ids) {
  const refs = span.references ?? [];
  const ref = refs.find((r) => r.refType === 'CHILD_OF' && ids.has(r.spanID)) ?? refs.find((r) => ids.has(r.spanID));
  return ref?.spanID;
}

/** What kind of work a span is, from the conventions its attributes follow. */
export function spanKind(tags, { parentProcess, process } = {}) {
  if (tags['gen_ai.operation.name'] || tags['gen_ai.request.model'] || tags['gen_ai.provider.name'] || tags['gen_ai.system']) return 'llm';
  if (tags['http.request.method'] || tags['http.method']) return 'http';
  if (tags['devtool.step.name']) return 'step';
  if (tags['devtool.command.name'] || tags['process.exit.code'] !== undefined) {
    // a command span under a span of another process is a child process of that run
    return parentProcess !== undefined && parentProcess !== process ? 'process' : 'command';
  }
  return 'span';
}

function outcomeOf(tags) {
  if (tags['devtool.command.outcome']) return String(tags['devtool.command.outcome']);
  if (tags['devtool.step.outcome']) return String(tags['devtool.step.outcome']);
  return isError(tags) ? 'error' : 'ok';
}

/** One line of facts for a span of each kind (model and tokens, route and status, exit code...). */
function detailsOf(kind, tags, proc) {
  const d = [];
  const add = (label, v) => {
    if (typeof v === 'string' && v.startsWith('[')) {
      // Jaeger renders array attributes as JSON text
      try {
        v = JSON.parse(v);
      } catch {
        /* not JSON after all: shown as the text it is */
      }
    }
    if (v !== undefined && v !== null && v !== '') d.push([label, Array.isArray(v) ? v.join(', ') : String(v)]);
  };
  if (kind === 'llm') {
    add('model', tags['gen_ai.response.model'] ?? tags['gen_ai.request.model']);
    add('provider', tags['gen_ai.provider.name'] ?? tags['gen_ai.system']);
    add('input tokens', tags['gen_ai.usage.input_tokens']);
    add('output tokens', tags['gen_ai.usage.output_tokens']);
    add('finish', tags['gen_ai.response.finish_reasons']);
  } else if (kind === 'http') {
    add('method', tags['http.request.method'] ?? tags['http.method']);
    add('route', tags['http.route'] ?? tags['url.path']);
    add('status', tags['http.response.status_code'] ?? tags['http.status_code']);
    add('kind', tags['span.kind']);
  } else if (kind === 'step') {
    add('outcome', tags['devtool.step.outcome']);
  } else if (kind === 'command' || kind === 'process') {
    add('tool', proc?.serviceName);
    add('outcome', tags['devtool.command.outcome']);
    add('exit code', tags['process.exit.code']);
    add('signal', tags['devtool.process.signal']);
  }
  add('error', tags['error.type']);
  return d;
}

/** A trace as one run: tool, command, outcome, exit code, duration, start, counts. */
export function summarizeTrace(trace) {
  const spans = trace.spans ?? [];
  const ids = new Set(spans.map((s) => s.spanID));
  const roots = spans.filter((s) => !parentIn(s, ids)).sort((a, b) => a.startTime - b.startTime);
  const root = roots[0] ?? spans[0];
  if (!root) return null;
  const tags = tagMap(root.tags);
  const proc = trace.processes?.[root.processID] ?? { serviceName: '?', tags: [] };
  const ptags = tagMap(proc.tags);
  const start = Math.min(...spans.map((s) => s.startTime));
  const end = Math.max(...spans.map((s) => s.startTime + s.duration));
  let llmCalls = 0;
  let tokens = 0;
  for (const s of spans) {
    const t = tagMap(s.tags);
    if (spanKind(t) !== 'llm') continue;
    llmCalls++;
    tokens += Number(t['gen_ai.usage.input_tokens'] ?? 0) + Number(t['gen_ai.usage.output_tokens'] ?? 0);
  }
  return {
    traceId: trace.traceID,
    tool: proc.serviceName,
    version: ptags['service.version'] ?? null,
    command: String(tags['devtool.command.name'] ?? root.operationName),
    outcome: outcomeOf(tags),
    exitCode: tags['process.exit.code'] ?? null,
    errorType: tags['error.type'] ?? null,
    startTimeUs: start,
    durationUs: Math.max(root.duration, end - start),
    spanCount: spans.length,
    processCount: new Set(spans.map((s) => s.processID)).size,
    llmCalls,
    tokens,
  };
}

/** A trace in waterfall order: depth-first from the roots, siblings by start time. */
export function traceTree(trace) {
  const spans = trace.spans ?? [];
  const ids = new Set(spans.map((s) => s.spanID));
  const children = new Map();
  const roots = [];
  for (const s of spans) {
    const p = parentIn(s, ids);
    if (p) (children.get(p) ?? children.set(p, []).get(p)).push(s);
    else roots.push(s);
  }
  const byStart = (a, b) => a.startTime - b.startTime || a.spanID.localeCompare(b.spanID);
  const start = spans.length ? Math.min(...spans.map((s) => s.startTime)) : 0;
  const end = spans.length ? Math.max(...spans.map((s) => s.startTime + s.duration)) : 0;
  const rows = [];
  const seen = new Set();
  const visit = (s, depth, parent) => {
    if (seen.has(s.spanID)) return; // a malformed trace with a reference cycle
    seen.add(s.spanID);
    const tags = tagMap(s.tags);
    const proc = trace.processes?.[s.processID];
    const kind = spanKind(tags, { parentProcess: parent?.processID, process: s.processID });
    rows.push({
      spanId: s.spanID,
      parentId: parent?.spanID ?? null,
      depth,
      name: s.operationName,
      service: proc?.serviceName ?? '?',
      kind,
      error: isError(tags) || ['failure', 'crash'].includes(tags['devtool.command.outcome'] ?? tags['devtool.step.outcome']),
      offsetUs: s.startTime - start,
      durationUs: s.duration,
      details: detailsOf(kind, tags, proc),
      attributes: (s.tags ?? []).map((t) => [t.key, formatValue(t.value)]),
      events: (s.logs ?? []).map((l) => ({ offsetUs: l.timestamp - start, fields: (l.fields ?? []).map((f) => [f.key, formatValue(f.value)]) })),
    });
    for (const c of (children.get(s.spanID) ?? []).sort(byStart)) visit(c, depth + 1, s);
  };
  for (const r of roots.sort(byStart)) visit(r, 0, null);
  return {
    traceId: trace.traceID,
    summary: summarizeTrace(trace),
    startTimeUs: start,
    durationUs: end - start,
    processes: Object.values(trace.processes ?? {}).map((p) => ({ service: p.serviceName, attributes: (p.tags ?? []).map((t) => [t.key, formatValue(t.value)]) })),
    spans: rows,
  };
}

const formatValue = (v) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * Recent runs of every tool Jaeger knows (or of one tool), newest first. A trace that spans
 * several tools (a process tree) is listed once, under its root's tool.
 */
export async function recentRuns(jaeger, { tool, perTool = 20, limit = 100 } = {}) {
  const services = (await jaeger.services()).filter((s) => s !== 'jaeger').sort();
  const wanted = tool ? services.filter((s) => s === tool) : services.slice(0, 50);
  const lists = await Promise.all(wanted.map((s) => jaeger.traces(s, { limit: perTool })));
  const byId = new Map();
  for (const t of lists.flat()) if (!byId.has(t.traceID)) byId.set(t.traceID, t);
  const runs = [...byId.values()]
    .map(summarizeTrace)
    .filter((r) => r && (!tool || r.tool === tool))
    .sort((a, b) => b.startTimeUs - a.startTimeUs)
    .slice(0, limit);
  return { tools: services, runs };
}
