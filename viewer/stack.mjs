// The viewer next to a stack started by scripts/stack-lib.mjs: a separate node process
// (viewer/main.mjs) with its log and pid file in the stack's workDir, so `npm run stack:stop` stops
// it with the rest. Also the links the demo and `npm run stack` print.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOST, assertPortFree, collectorLogsFile, portsFromEnv, startProcess, stopPid, waitFor } from '../scripts/stack-lib.mjs';
import { jaegerClient } from './backends.mjs';
import { recentRuns } from './traces.mjs';
import { VIEWER_PORT_ENV } from './server.mjs';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.mjs');

/**
 * Start viewer/main.mjs for a stack's endpoints ({ jaegerUi, prometheus }) and wait until it serves.
 * Resolves to { url, pid, stop() }.
 */
export async function startViewerProcess({ endpoints, workDir, port = portsFromEnv().viewerPort, detached = false, timeoutMs = 20000 }) {
  await assertPortFree(port, `viewer (${VIEWER_PORT_ENV})`);
  const proc = startProcess('viewer', process.execPath, [MAIN, '--port', String(port), '--jaeger', endpoints.jaegerUi, '--prometheus', endpoints.prometheus, '--logs', collectorLogsFile(workDir)], { workDir, detached });
  const url = `http://${HOST}:${port}`;
  try {
    await waitFor(`viewer ${url}`, async () => (await fetch(`${url}/api/config`, { signal: AbortSignal.timeout(2000) })).ok, { proc, timeoutMs });
  } catch (e) {
    await stopPid(proc.pid);
    throw e;
  }
  return { url, pid: proc.pid, process: proc, stop: () => stopPid(proc.pid, { expect: 'viewer/main.mjs' }) };
}

/** Note the viewer in the stack's stack.json (written by startStack), for 'status' and a second 'start'. */
export function recordViewer(workDir, url) {
  const file = path.join(workDir, 'stack.json');
  const info = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.writeFileSync(file, JSON.stringify({ ...info, viewerUrl: url, endpoints: { ...info.endpoints, viewer: url } }, null, 2));
}

/** Links to one trace: in the viewer, and in Jaeger (its UI, or its JSON API when it has no UI). */
export async function traceLinks({ viewerUrl, jaegerUrl, traceId }) {
  const hasUi = await jaegerClient(jaegerUrl).hasUi();
  return {
    viewer: `${viewerUrl}/trace/${traceId}`,
    jaeger: hasUi ? `${jaegerUrl}/trace/${traceId}` : `${jaegerUrl}/api/traces/${traceId}`,
    jaegerHasUi: hasUi,
  };
}

/** The newest run in Jaeger (of `tool`, if given), started at or after `sinceMs`; null if none. */
export async function latestRun(jaegerUrl, { tool, sinceMs = 0, skipTraceIds = [] } = {}) {
  const { runs } = await recentRuns(jaegerClient(jaegerUrl), { tool, perTool: 5 });
  return runs.find((r) => r.startTimeUs / 1000 >= sinceMs && !skipTraceIds.includes(r.traceId)) ?? null;
}
