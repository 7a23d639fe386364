// `npm run bench`: every benchmark, ours beside the peers, in one run. Pass names to run a subset:
// `node bench/run.mjs startup sanitizer`.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ALL = [
  'startup',
  'startup-phases',
  'real-tools',
  'startup-versions',
  'consent-off',
  'child-process',
  'sanitizer',
  'exit-delay',
  'shipper-throughput',
  'cpu-per-run',
  'llm-overhead',
  'esm-llm-startup',
  'feature-event',
  'collector-throughput',
];
const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : ALL;
console.log(`# devtool-telemetry benchmarks (node ${process.version}, ${new Date().toISOString()})`);
let failed = 0;
for (const name of names) {
  const file = join(here, `${name}.mjs`);
  if (!existsSync(file)) {
    console.log(`\n## ${name}: missing (${file})`);
    failed++;
    continue;
  }
  try {
    const mod = await import(pathToFileURL(file).href);
    await mod.run();
  } catch (err) {
    failed++;
    console.log(`\n## ${name}: FAILED: ${err?.stack || err}`);
  }
}
process.exitCode = failed ? 1 : 0;
