// Start-up + exit of an ES module tool, with and without an LLM client installed (issue 18): the
// preload installs its ESM hook (module.register's hooks thread on Node 20, in-thread
// module.registerHooks on 22.15+) only when `openai` / `@anthropic-ai/sdk` is installed where the
// app can reach it. Both apps live in a temp dir outside this repo (whose node_modules holds
// openai): "no client" has no node_modules at all; "client" gets node_modules/openai linked to
// ours and imports it (through a module of its own, as a framework would).
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchHome, compare, printTable, startSink } from './lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const register = join(here, '..', 'dist/esm/register.mjs');

const CLI = `const args = process.argv.slice(2);
let n = 0;
for (let i = 0; i < 1000; i++) n += i;
process.stdout.write(\`\${args[0] || 'run'} \${n}\\n\`);
`;

function makeApps(root) {
  const none = join(root, 'no-client');
  mkdirSync(none, { recursive: true });
  writeFileSync(join(none, 'package.json'), '{"name":"no-client","version":"1.0.0","type":"module"}\n');
  writeFileSync(join(none, 'cli.mjs'), CLI);
  const withClient = join(root, 'client');
  mkdirSync(join(withClient, 'node_modules'), { recursive: true });
  symlinkSync(join(here, '..', 'node_modules', 'openai'), join(withClient, 'node_modules', 'openai'), 'dir');
  writeFileSync(join(withClient, 'package.json'), '{"name":"client","version":"1.0.0","type":"module"}\n');
  writeFileSync(join(withClient, 'framework.mjs'), "export { OpenAI } from 'openai';\n");
  writeFileSync(join(withClient, 'cli.mjs'), `import { OpenAI } from './framework.mjs';\nnew OpenAI({ apiKey: 'k', baseURL: 'http://127.0.0.1:9/v1' });\n${CLI}`);
  return { none: join(none, 'cli.mjs'), client: join(withClient, 'cli.mjs') };
}

export async function run({ runs = Number(process.env.BENCH_RUNS) || 15 } = {}) {
  const sink = await startSink();
  const sandbox = benchHome();
  const apps = makeApps(join(sandbox.home, 'apps'));
  const base = { ...sandbox.env, OTEL_EXPORTER_OTLP_ENDPOINT: sink.url };
  const node = process.execPath;
  try {
    const rows = await compare(
      [
        { name: 'ESM, no client: plain node', cmd: node, args: [apps.none], env: base },
        { name: 'ESM, no client: preloaded', cmd: node, args: ['--import', register, apps.none], env: base },
        { name: 'ESM, openai: plain node', cmd: node, args: [apps.client], env: base },
        { name: 'ESM, openai: preloaded', cmd: node, args: ['--import', register, apps.client], env: base },
      ],
      { runs },
    );
    printTable(`Start-up + exit of an ESM tool with/without an LLM client (node ${process.version}, ${runs} runs, medians)`, rows, 'ESM, no client: plain node');
    return rows;
  } finally {
    await sink.close();
    sandbox.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
