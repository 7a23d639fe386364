// The process-tree part of `npm run demo` (kept apart from demo.mjs): an agent runs two tools
// through step(), under the preload in NODE_OPTIONS so every process records; after delivery the
// demo reads that trace back from Jaeger's API and prints it as a span tree. One trace, one root.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './stack-lib.mjs';

function runAgent(env) {
  return new Promise((resolve) => {
    const register = pathToFileURL(join(ROOT, 'dist/esm/register.mjs')).href;
    const child = spawn(process.execPath, [join(ROOT, 'examples/ai-agent/tool-runner.mjs')], {
      cwd: ROOT,
      env: { ...env, NODE_OPTIONS: `--import ${register}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', () => {});
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** Jaeger trace -> indented text: operation (service, kind, exit code, error.type). */
export function renderJaegerTree(trace) {
  const parentOf = (s) => s.references?.find((r) => r.refType === 'CHILD_OF')?.spanID;
  const tag = (s, k) => s.tags.find((t) => t.key === k)?.value;
  const children = new Map();
  const ids = new Set(trace.spans.map((s) => s.spanID));
  for (const s of trace.spans) {
    const p = ids.has(parentOf(s)) ? parentOf(s) : '';
    children.set(p, [...(children.get(p) ?? []), s]);
  }
  for (const list of children.values()) list.sort((a, b) => a.startTime - b.startTime);
  const lines = [];
  const walk = (s, depth) => {
    const bits = [trace.processes[s.processID]?.serviceName, tag(s, 'span.kind') ?? 'internal'];
    const code = tag(s, 'process.exit.code');
    if (code !== undefined) bits.push(`exit ${code}`);
    const err = tag(s, 'error.type');
    if (err !== undefined) bits.push(`error.type ${err}`);
    lines.push(`${'  '.repeat(depth)}${s.operationName}  (${bits.join(', ')}, ${(s.duration / 1000).toFixed(1)} ms)`);
    for (const c of children.get(s.spanID) ?? []) walk(c, depth + 1);
  };
  for (const r of children.get('') ?? []) walk(r, 0);
  return lines;
}

/** Runs the agent, waits for its trace in Jaeger, prints it. `eventually` comes from stack-lib. */
export async function treeDemo({ env, endpoints, say, eventually }) {
  const started = Date.now() * 1000;
  const r = await runAgent(env);
  say(`  ai-agent tool-runner (2 tools via step())      exit ${r.code}  ${r.out.trim().split('\n').filter((l) => l.startsWith('lint') || l.startsWith('tests')).join('; ')}`);
  const complete = (t) => t.spans.filter((s) => s.startTime >= started).length >= 9 && Object.values(t.processes).some((p) => p.serviceName === 'cli-tool');
  const traces = await eventually(
    () => fetch(`${endpoints.jaegerUi}/api/traces?service=ai-agent&limit=20&lookback=1h`).then((x) => x.json()).then((b) => (b.data ?? []).filter((t) => t.spans.some((s) => s.startTime >= started))),
    (ts) => ts.some(complete),
    { timeoutMs: 60_000, what: 'the agent tree in Jaeger' },
  ).catch(() => []);
  const trace = traces.find(complete);
  if (!trace) {
    say('  (the tree did not reach Jaeger in time)');
    return undefined;
  }
  say(`  trace ${trace.traceID}: ${trace.spans.length} spans from ${new Set(Object.values(trace.processes).map((p) => p.serviceName)).size} services, one root`);
  for (const line of renderJaegerTree(trace)) say(`    ${line}`);
  say(`  Jaeger: ${endpoints.jaegerUi}/trace/${trace.traceID}`);
  return trace;
}
