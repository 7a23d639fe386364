// Runs the three examples once each under the preload, as their root npm scripts do, for
// `npm run demo` (scripts/demo.mjs can `await runExamples()`), or alone: `node examples/demo.mjs`.
// Records go wherever the environment says (OTEL_EXPORTER_OTLP_ENDPOINT, default localhost:4318,
// i.e. `npm run stack`); set DEVTOOL_TELEMETRY_DEBUG=1 to print them instead.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { linkExamples } from './link.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const requireFlag = ['--require', join(root, 'dist/cjs/register.js')];
const importFlag = ['--import', pathToFileURL(join(root, 'dist/esm/register.mjs')).href];

function run(args, { env = process.env, onStdout } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.setEncoding('utf8').on('data', (d) => {
      process.stdout.write(d);
      onStdout?.(d, child);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
}

export async function runExamples({ env = process.env } = {}) {
  linkExamples();
  const cli = join(here, 'cli-tool/cli.js');
  const results = [];
  for (const args of [['greet', 'demo'], ['build'], ['deploy']]) {
    console.log(`\n$ cli-tool ${args.join(' ')}`);
    results.push(['cli-tool ' + args[0], await run([...requireFlag, cli, ...args], { env })]);
  }

  console.log('\n$ ai-agent "fix the failing parser test"');
  results.push(['ai-agent', await run([...importFlag, join(here, 'ai-agent/agent.mjs'), 'fix the failing parser test'], { env })]);

  console.log('\n$ example-server (3 requests, then SIGTERM)');
  let asked = false;
  const server = await run([...requireFlag, join(here, 'server/server.js')], {
    env: { DEVTOOL_TELEMETRY_FLUSH_INTERVAL: '1000', ...env },
    onStdout: (d, child) => {
      const m = /listening (\S+)/.exec(d);
      if (!m || asked) return;
      asked = true;
      (async () => {
        for (const path of ['/health', '/work', '/fail']) {
          const res = await fetch(m[1] + path);
          console.log(`GET ${path} -> ${res.status}`);
        }
        child.kill('SIGTERM');
      })().catch(() => child.kill('SIGTERM'));
    },
  });
  results.push(['example-server', server]);

  console.log('\n| example | exit |\n|---|---|');
  for (const [name, r] of results) console.log(`| ${name} | ${r.signal ?? r.code} |`);
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await runExamples();
