// What process trees cost: (1) start-up of an enabled run, whose child_process hook loads
// node:child_process before the app does, for a CLI that prints (stdout already pulls in net and
// streams) and one that prints nothing (the worst case); (2) a parent starting 10 children, where
// each child costs the parent a CLIENT span and one copy of its environment with TRACEPARENT.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchHome, compare, printTable, startSink } from './lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const register = join(here, '..', 'dist/cjs/register.js');

export async function run({ runs = Number(process.env.BENCH_RUNS) || 15 } = {}) {
  const sink = await startSink();
  const sandbox = benchHome();
  const env = { ...sandbox.env, OTEL_EXPORTER_OTLP_ENDPOINT: sink.url };
  const node = process.execPath;
  const rows = (script) => [
    { name: 'plain node', cmd: node, args: [join(here, 'peers', script)], env },
    { name: 'devtool-telemetry enabled', cmd: node, args: ['--require', register, join(here, 'peers', script)], env },
  ];
  try {
    printTable(`A CLI that prints (${runs} runs, medians)`, await compare(rows('tiny-cli.cjs'), { runs }), 'plain node');
    printTable(`A CLI that prints nothing: child_process loaded by the hook alone (${runs} runs)`, await compare(rows('silent-cli.cjs'), { runs }), 'plain node');
    printTable(`A parent starting 10 node children with execFileSync (${runs} runs; per child: divide by 10)`, await compare(rows('spawn-children.cjs'), { runs }), 'plain node');
  } finally {
    await sink.close();
    sandbox.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
