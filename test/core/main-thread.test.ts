/**
 * Only the main thread records (src/entry/main-thread.ts): a preload given in execArgv or NODE_OPTIONS
 * also runs in every Worker, which must record nothing. The answer comes from Node's own
 * process.chdir (a stub in workers) without loading node:worker_threads on the main thread.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSandbox, registerPath, REPO_ROOT } from '../support/run-fixture';

const helper = path.join(REPO_ROOT, 'dist', 'cjs', 'entry', 'main-thread.js');
const sb = makeSandbox();
afterAll(() => sb.cleanup());

function node(args: string[], env: NodeJS.ProcessEnv = sb.env) {
  const r = spawnSync(process.execPath, args, { env, encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return r;
}

describe('isMainThread', () => {
  it('is true on the main thread without loading node:worker_threads, false in a worker', () => {
    const script = `
      const { isMainThread } = require(${JSON.stringify(helper)});
      const main = isMainThread();
      const loaded = process.moduleLoadList.some((m) => m === 'NativeModule worker_threads');
      const { Worker } = require('node:worker_threads');
      const w = new Worker('const { parentPort } = require("node:worker_threads"); parentPort.postMessage(require(' + JSON.stringify(${JSON.stringify(helper)}) + ').isMainThread())', { eval: true });
      w.once('message', (inWorker) => { console.log(JSON.stringify({ main, loaded, inWorker })); w.terminate(); });
    `;
    const out = JSON.parse(node(['-e', script]).stdout.trim());
    expect(out).toEqual({ main: true, loaded: false, inWorker: false });
  });

  it('another preload that replaced process.chdir first: asks node:worker_threads, still right', () => {
    const script = `
      process.chdir = function chdir(d) { return d; };
      const { isMainThread } = require(${JSON.stringify(helper)});
      console.log(JSON.stringify({ main: isMainThread(), loaded: process.moduleLoadList.includes('NativeModule worker_threads') }));
    `;
    expect(JSON.parse(node(['-e', script]).stdout.trim())).toEqual({ main: true, loaded: true });
  });

  it("a preloaded process with a Worker records one run: the main thread's", () => {
    const app = path.join(sb.env.HOME!, 'with-worker.js');
    fs.writeFileSync(
      app,
      `const { Worker } = require('node:worker_threads');
       const w = new Worker('let n = 0; for (let i = 0; i < 1e5; i++) n += i;', { eval: true });
       w.on('exit', () => console.log('worker done'));`,
    );
    // Debug mode prints each batch instead of spooling it: every recorder that ran says so.
    const r = node(['--require', registerPath('require'), app], { ...sb.env, DEVTOOL_TELEMETRY_DEBUG: '1' });
    expect(r.stdout).toContain('worker done');
    const batches = r.stderr.match(/debug: would send/g) ?? [];
    expect(batches).toHaveLength(1);
    expect(r.stderr).toContain('"devtool.command.name"');
  });
});
