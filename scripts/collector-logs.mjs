// The log records the collector's file/logs exporter wrote (OTLP JSON, one export request per line),
// flattened for the demo, the viewer and the tests. Node built-ins only: the viewer imports it.
import fs from 'node:fs';

/**
 * The log records in a file/logs exporter file (OTLP JSON, one export request per line), flattened:
 * { eventName, severityText, timeUnixNano, traceId, spanId, attributes, resource }. Torn lines skipped.
 */
export function readCollectorLogs(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const flat = (kvs = []) => Object.fromEntries(kvs.map((kv) => [kv.key, anyValue(kv.value)]));
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let req;
    try {
      req = JSON.parse(line);
    } catch {
      continue;
    }
    for (const rl of req.resourceLogs ?? []) {
      const resource = flat(rl.resource?.attributes);
      for (const sl of rl.scopeLogs ?? []) {
        for (const r of sl.logRecords ?? []) {
          out.push({
            eventName: r.eventName, severityText: r.severityText, timeUnixNano: r.timeUnixNano, traceId: r.traceId, spanId: r.spanId,
            attributes: flat(r.attributes), ...(r.body ? { body: anyValue(r.body) } : {}), resource,
          });
        }
      }
    }
  }
  return out;
}

function anyValue(v) {
  if (!v || typeof v !== 'object') return v;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(anyValue);
  if (v.kvlistValue) return Object.fromEntries((v.kvlistValue.values ?? []).map((kv) => [kv.key, anyValue(kv.value)]));
  return undefined;
}

