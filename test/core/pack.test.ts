/**
 * The published package, as users get it: `npm pack`, install the tarball into a fresh project,
 * then preload it by name (CJS --require, ESM --import, NODE_OPTIONS), use the API by name from
 * both module systems, and run the bin. Proves the `files` list and the exports map.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../support/otlp-receiver';
import { makeSandbox, REPO_ROOT, type Sandbox } from '../support/run-fixture';

let sb: Sandbox;
let receiver: Receiver;
let project: string;
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

beforeAll(async () => {
  sb = makeSandbox({ npm: true });
  receiver = await startReceiver();
  env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
  const packDir = path.join(sb.root, 'pack');
  fs.mkdirSync(packDir);
  const out = execFileSync('npm', ['pack', '--pack-destination', packDir, '--silent'], { cwd: REPO_ROOT, env: sb.env, encoding: 'utf8' });
  const tarball = path.join(packDir, out.trim().split('\n').pop()!);
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
