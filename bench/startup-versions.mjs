// Start-up + exit of the tiny CLI under every Node.js version CI tests: this machine's Node and the
// pinned releases in build/node/<major> (scripts/node-versions.sh installs them). Per version:
// plain node, ours enabled and disabled (CommonJS, --require), and an ES-module tool that declares
// `openai`, where the preload installs its ESM hook: module.register() (a hooks thread) on Node 20,
// module.registerHooks() (in-thread) on 22.15+ (src/instrument/llm-hooks.ts).
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { nodeBinary, pinnedVersions } from '../scripts/node-versions-lib.mjs';
import { benchHome, compare, printTable, startSink } from './lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const cjsCli = join(here, 'peers/tiny-cli.cjs');
const esmCli = join(here, 'peers/esm-llm-tool/cli.mjs');
const register = join(root, 'dist/cjs/register.js');
const registerEsm = pathToFileURL(join(root, 'dist/esm/register.mjs')).href;

function binaries() {
  return [process.execPath, ...pinnedVersions().map(({ major, version }) => nodeBinary(major, version))];
}

export async function run({ runs = Number(process.env.BENCH_RUNS) || 15 } = {}) {
  const sink = await startSink();
  const sandbox = benchHome();
  const base = { ...sandbox.env, OTEL_EXPORTER_OTLP_ENDPOINT: sink.url };
  const all = [];
  try {
    for (const node of binaries()) {
      const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
      const rows = await compare(
        [
          { name: 'plain node', cmd: node, args: [cjsCli], env: base },
          { name: 'enabled (--require)', cmd: node, args: ['--require', register, cjsCli], env: base },
          { name: 'disabled (DO_NOT_TRACK=1)', cmd: node, args: ['--require', register, cjsCli], env: { ...base, DO_NOT_TRACK: '1' } },
          { name: 'plain node, ESM tool', cmd: node, args: [esmCli], env: base },
          { name: 'enabled, ESM tool with openai (--import)', cmd: node, args: ['--import', registerEsm, esmCli], env: base },
        ],
        { runs },
      );
      const esmBase = rows.find((r) => r.name === 'plain node, ESM tool');
      const esm = rows[4];
      const hook = `ESM tool with the LLM hook vs plain ESM: +${(esm.ms - esmBase.ms).toFixed(1)} ms wall, +${(esm.cpuMs - esmBase.cpuMs).toFixed(1)} ms CPU`;
      printTable(`Start-up + exit on Node ${version} (collector up, ${runs} runs each, medians; ${hook})`, rows, 'plain node');
      all.push({ version, rows });
    }
    return all;
  } finally {
    await sink.close();
    sandbox.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
