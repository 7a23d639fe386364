/**
 * The published package, as users get it. A clean clone (the repository's files as git sees them:
 * no dist/, no build/) is packed with `npm pack`, so the `prepack` build must produce dist/; the
 * tarball must pass publint and arethetypeswrong (run offline on the tarball, zero problems) and
 * carry the licence. It is then installed into a fresh project and preloaded by name (CJS
 * --require, ESM --import, NODE_OPTIONS); the API is used by name from both module systems and
 * type-checked as a consumer would; the bin runs. Proves `prepack`, the `files` list, the exports
 * map and the declarations. Runs under every Node version CI tests (scripts/test-node-versions.mjs).
 */
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../support/otlp-receiver';
import { makeSandbox, REPO_ROOT, type Sandbox } from '../support/run-fixture';

let sb: Sandbox;
let receiver: Receiver;
let project: string;
let clone: string;
let tarball: string;
let env: Record<string, string>;

function node(args: string[], extra: Record<string, string> = {}): { stdout: string; stderr: string; code: number } {
  try {
    const stdout = execFileSync(process.execPath, args, { cwd: project, env: { ...env, ...extra }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    return { stdout, stderr: '', code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; status?: number };
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: e.status ?? -1 };
  }
}

/**
 * What a fresh `git clone` of this working tree holds: every tracked or new, non-ignored file
 * (so uncommitted work is tested too), and none of dist/, build/ or node_modules/. node_modules is
 * linked from the repo: the dev dependencies the build needs, without a second install.
 */
function cleanClone(dest: string): string {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f && fs.existsSync(path.join(REPO_ROOT, f)));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, f), path.join(dest, f));
  }
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dest, 'node_modules'), 'dir');
  return dest;
}

/**
 * A dev tool from the repo's node_modules (bin path as npm links it), run with the Node under
 * test. Asynchronous: attw and tsc take seconds, and a blocked worker misses vitest's RPC deadline.
 */
function devTool(bin: string, args: string[], cwd = sb.root): Promise<{ out: string; code: number }> {
  const js = bin.includes('/') ? bin : fs.realpathSync(path.join(REPO_ROOT, 'node_modules', '.bin', bin));
  return new Promise((resolve) => {
    execFile(process.execPath, [js, ...args], { cwd, env: sb.env, encoding: 'utf8', timeout: 180_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ out: `${stdout}${stderr}`, code });
    });
  });
}

beforeAll(async () => {
  sb = makeSandbox({ npm: true });
  receiver = await startReceiver();
  env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
  clone = cleanClone(path.join(sb.root, 'clone'));
  expect(fs.existsSync(path.join(clone, 'dist'))).toBe(false);
  expect(fs.existsSync(path.join(clone, 'src', 'entry', 'preload.ts'))).toBe(true);
  const packDir = path.join(sb.root, 'pack');
  fs.mkdirSync(packDir);
  // `npm pack` runs `prepack` (the build) in the clone, which has no dist/ before it.
  const out = execFileSync('npm', ['pack', '--pack-destination', packDir, '--silent'], { cwd: clone, env: sb.env, encoding: 'utf8', timeout: 300_000 });
  tarball = path.join(packDir, out.trim().split('\n').pop()!);
  expect(fs.existsSync(path.join(clone, 'dist'))).toBe(true);
  project = path.join(sb.root, 'packed-tool');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'packed-tool', version: '0.9.0', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', tarball], { cwd: project, env: sb.env, stdio: 'ignore', timeout: 300_000 });
  fs.writeFileSync(
    path.join(project, 'app.cjs'),
    "const t = require('devtool-telemetry');\nt.step('cjs-step', () => 1);\nconsole.log('cjs', typeof t.llmRequest);\n",
  );
  fs.writeFileSync(
    path.join(project, 'app.mjs'),
    "import { step, llmRequest } from 'devtool-telemetry';\nimport def from 'devtool-telemetry';\nawait step('esm-step', async () => 1);\nconsole.log('esm', typeof llmRequest, typeof def.step);\n",
  );
}, 600_000);

afterAll(async () => {
  await receiver?.close();
  sb?.cleanup();
});

async function rootSpan(name: string) {
  await receiver.waitFor(() => receiver.spans().some((s) => s.name === name && !s.parentSpanId), 15_000);
  return receiver.spans().find((s) => s.name === name && !s.parentSpanId)!;
}

describe('the tarball of a clean clone', () => {
  it('is built by prepack: the clone had no dist/, the tarball has it, the licence and the changelog', () => {
    expect(fs.existsSync(path.join(clone, 'dist', 'cjs', 'register.js'))).toBe(true);
    const listed = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    for (const f of ['LICENSE', 'CHANGELOG.md', 'README.md', 'TELEMETRY.md', 'dist/cjs/register.js', 'dist/esm/register.mjs', 'dist/esm/index.d.mts', 'dist/cjs/shipper/main.js']) {
      expect(listed, f).toContain(`package/${f}`);
    }
    const licence = fs.readFileSync(path.join(project, 'node_modules', 'devtool-telemetry', 'LICENSE'), 'utf8');
    expect(licence).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    expect(licence).toContain('END OF TERMS AND CONDITIONS');
    expect(licence).toBe(fs.readFileSync(path.join(REPO_ROOT, 'LICENSE'), 'utf8'));
  });

  it('passes publint (strict: warnings count) with zero problems', async () => {
    const r = await devTool('publint', ['--strict', tarball]);
    expect(r.out).toContain('All good!');
    expect(r.code).toBe(0);
  });

  it('passes arethetypeswrong with zero problems for every entry point and resolution mode', async () => {
    const r = await devTool('attw', ['--format', 'json', tarball]);
    const report = JSON.parse(r.out) as { problems?: unknown; analysis: { entrypoints: Record<string, unknown> } };
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual(['.', './cli', './package.json', './register']);
    expect(report.problems ?? {}).toEqual({});
    expect(r.code).toBe(0);
  });

  it('type-checks for a consumer: ESM named and default imports, CommonJS require, the subpaths', async () => {
    // What a tool author's TypeScript sees (node16 resolution: the exports map and the .d.mts/.d.ts
    // per condition). The default export must carry the API, as index.mjs's default does.
    fs.writeFileSync(
      path.join(project, 'consumer.mts'),
      [
        "import api, { step, type Level } from 'devtool-telemetry';",
        "import cli, { runCli } from 'devtool-telemetry/cli';",
        "import 'devtool-telemetry/register';",
        "const level: Level | undefined = api.telemetryLevel();",
        "export const uses = [step, api.step, api.llmRequest, runCli, cli.runCli, level];",
        '',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(project, 'consumer.cts'),
      ["import api = require('devtool-telemetry');", "import cli = require('devtool-telemetry/cli');", 'export const uses = [api.step, api.feature, cli.runCli];', ''].join('\n'),
    );
    const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--skipLibCheck', 'false'];
    args.push('--typeRoots', path.join(REPO_ROOT, 'node_modules', '@types'), '--types', 'node', 'consumer.mts', 'consumer.cts');
    const { out, code } = await devTool(tsc, args, project);
    expect(out).toBe('');
    expect(code).toBe(0);
  });
});

describe('the packed tarball installed in a fresh project', () => {
  it('ships only what it needs', () => {
    const pkgDir = path.join(project, 'node_modules', 'devtool-telemetry');
    expect(fs.existsSync(path.join(pkgDir, 'dist/cjs/register.js'))).toBe(true);
    expect(fs.existsSync(path.join(pkgDir, 'dist/esm/register.mjs'))).toBe(true);
    expect(fs.existsSync(path.join(pkgDir, 'dist/cjs/index.d.ts'))).toBe(true);
    expect(fs.existsSync(path.join(pkgDir, 'TELEMETRY.md'))).toBe(true);
    expect(fs.existsSync(path.join(pkgDir, 'SECURITY.md'))).toBe(true);
    expect(fs.existsSync(path.join(pkgDir, 'src'))).toBe(false);
    expect(fs.existsSync(path.join(pkgDir, 'test'))).toBe(false);
  });

  it('preloads by name with --require (CommonJS) and the API works by require', async () => {
    const r = node(['--require', 'devtool-telemetry/register', 'app.cjs']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('cjs function\n');
    const root = await rootSpan('packed-tool');
    expect(root.resource['service.version']).toBe('0.9.0');
    await receiver.waitFor(() => receiver.spans().some((s) => s.name === 'step cjs-step' && s.traceId === root.traceId), 10_000);
  });

  it('preloads by name with --import (ESM) and the API works by import, sharing one recorder', async () => {
    receiver.reset();
    const r = node(['--import', 'devtool-telemetry/register', 'app.mjs']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('esm function function\n');
    const root = await rootSpan('packed-tool');
    await receiver.waitFor(() => receiver.spans().some((s) => s.name === 'step esm-step' && s.parentSpanId === root.spanId), 10_000);
  });

  it('preloads through NODE_OPTIONS', async () => {
    receiver.reset();
    const r = node(['app.cjs'], { NODE_OPTIONS: '--require devtool-telemetry/register' });
    expect(r.code).toBe(0);
    await rootSpan('packed-tool');
  });

  it('runs the bin', () => {
    const bin = path.join(project, 'node_modules', '.bin', 'devtool-telemetry');
    const out = execFileSync(bin, ['status'], { cwd: project, env, encoding: 'utf8' });
    expect(out.length).toBeGreaterThan(0);
  });
});
