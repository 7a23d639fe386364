// Real tools under the preload (issue 17, item 3: within 1.05x of plain): `prettier --check` on a
// small project and `tsc --version`, plain node vs ours enabled vs disabled, side by side in one
// run (alternating, medians). Both tools are copied with their package.json into a throwaway
// project outside this repository (neither has dependencies), as a user's project holds them:
// this repository's node_modules hold LLM clients (test dependencies) that would make the preload
// install its LLM client hooks, which a project without such a client never pays.
//
//   node bench/real-tools.mjs        Env: BENCH_RUNS (default 15), BENCH_COMPARE_DIST (another build, side by side)
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchHome, compare, printTable, startSink } from './lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);
const register = join(root, 'dist/cjs/register.js');

/** A small, prettier-clean project: a few source files of the kinds a tool checks. */
function makeProject(dir) {
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench-project', version: '1.0.0', private: true }, null, 2) + '\n');
  for (let i = 0; i < 8; i++) {
    writeFileSync(
      join(dir, 'src', `mod${i}.ts`),
      `export interface Item${i} {\n  id: string;\n  count: number;\n}\n\nexport function total${i}(items: Item${i}[]): number {\n  return items.reduce((n, it) => n + it.count, 0);\n}\n`,
    );
  }
  writeFileSync(join(dir, 'README.md'), '# bench project\n\nA few files for `prettier --check`.\n');
}

export async function run({ runs = Number(process.env.BENCH_RUNS) || 15 } = {}) {
  const sink = await startSink();
  const sandbox = benchHome('dt-tools-');
  const project = join(sandbox.home, 'project');
  makeProject(project);
  for (const pkg of ['prettier', 'typescript']) cpSync(dirname(require.resolve(`${pkg}/package.json`)), join(project, 'node_modules', pkg), { recursive: true });
  const prettier = join(project, 'node_modules/prettier/bin/prettier.cjs');
  const tsc = join(project, 'node_modules/typescript/bin/tsc');
  const env = { ...sandbox.env, OTEL_EXPORTER_OTLP_ENDPOINT: sink.url };
  const node = process.execPath;
  // Every variant preloads report-usage.cjs last: CPU and peak RSS as the tiny CLI reports them.
  const report = ['--require', join(here, 'peers/report-usage.cjs')];
  const tools = [
    { name: 'prettier --check', args: [prettier, '--check', 'src', 'README.md'] },
    { name: 'tsc --version', args: [tsc, '--version'] },
  ];
  // BENCH_COMPARE_DIST=<another build's dist/>: that build enabled, alternating with ours (before/after).
  const compared = process.env.BENCH_COMPARE_DIST ? [process.env.BENCH_COMPARE_DIST] : [];
  const out = [];
  try {
    for (const t of tools) {
      const rows = await compare(
        [
          { name: 'plain node', cmd: node, args: [...report, ...t.args], env, cwd: project },
          { name: 'devtool-telemetry enabled', cmd: node, args: ['--require', register, ...report, ...t.args], env, cwd: project },
          { name: 'devtool-telemetry disabled', cmd: node, args: ['--require', register, ...report, ...t.args], env: { ...env, DO_NOT_TRACK: '1' }, cwd: project },
          ...compared.map((dist) => ({ name: `enabled, build at ${dist}`, cmd: node, args: ['--require', resolve(dist, 'cjs/register.js'), ...report, ...t.args], env, cwd: project })),
        ],
        { runs },
      );
      printTable(`${t.name} (${runs} runs each, alternating, medians; target: enabled within 1.05x)`, rows, 'plain node');
      out.push({ tool: t.name, rows });
    }
    return out;
  } finally {
    await sink.close();
    sandbox.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
