// Start-up and exit cost of a tiny CLI run, side by side: plain node, ours (enabled, disabled),
// the stock @opentelemetry/sdk-node preload, auto-instrumentations-node/register, posthog-node.
// Collector "up": a loopback sink answers 200 to everything. Targets (issue 17, this 2-core machine
// kind): enabled <= +15 ms and <= 1.15x plain node, disabled <= +2 ms, RSS <= +8 MB over plain.
import { copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchHome, compare, printTable, startSink } from './lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);
const repoCli = join(here, 'peers/tiny-cli.cjs');
const register = join(root, 'dist/cjs/register.js');
/** 10,000 exported variables, as a large CI or a long-lived shell may have. */
const bigEnv = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`BENCH_VAR_${i}`, `value-${i}`]));

export async function run({ runs = Number(process.env.BENCH_RUNS) || 15 } = {}) {
  const sink = await startSink();
  const sandbox = benchHome();
  // The tiny CLI runs from a copy outside this repository: under it, the test dependencies' LLM
  // clients in node_modules make the preload install its LLM client hooks (a row of its own below).
  const cli = join(sandbox.home, 'tiny-cli.cjs');
  copyFileSync(repoCli, cli);
  const base = { ...sandbox.env, OTEL_EXPORTER_OTLP_ENDPOINT: sink.url };
  const node = process.execPath;
  try {
    const rows = await compare(
      [
        { name: 'plain node', cmd: node, args: [cli], env: base },
        { name: 'devtool-telemetry enabled', cmd: node, args: ['--require', register, cli], env: base },
        { name: 'enabled, LLM clients reachable (in this repo)', cmd: node, args: ['--require', register, repoCli], env: base },
        { name: 'devtool-telemetry disabled', cmd: node, args: ['--require', register, cli], env: { ...base, DO_NOT_TRACK: '1' } },
        // The preload's cost must not grow with the environment (issue 13, item 14).
        { name: 'plain node, 10k env vars', cmd: node, args: [cli], env: { ...base, ...bigEnv } },
        { name: 'enabled, 10k env vars', cmd: node, args: ['--require', register, cli], env: { ...base, ...bigEnv } },
        { name: 'stock sdk-node preload', cmd: node, args: ['--require', join(here, 'peers/sdk-node-preload.cjs'), cli], env: base },
        {
          name: 'auto-instrumentations register',
          cmd: node,
          args: ['--require', require.resolve('@opentelemetry/auto-instrumentations-node/register'), cli],
          env: { ...base, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
        },
        { name: 'posthog-node capture+shutdown', cmd: node, args: [join(here, 'peers/posthog-cli.cjs')], env: { ...base, POSTHOG_HOST: sink.url } },
      ],
      { runs },
    );
    printTable(`Start-up + exit of a tiny CLI (collector up, ${runs} runs each, medians)`, rows, 'plain node');
    return rows;
  } finally {
    await sink.close();
    sandbox.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
