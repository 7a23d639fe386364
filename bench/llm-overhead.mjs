// LLM capture overhead (issue 8). Two questions:
// 1. What does capturing cost per LLM call? The real `openai` client against the local fake server
//    (examples/ai-agent/fake-llm-server.mjs), in a preloaded child: each iteration calls the
//    instrumented `create` and the original one (kept on the wrapper) back to back, alternating
//    the order, so machine noise hits both alike; we report the median difference.
//    Target: <= 50 µs per call (non-streamed and streamed).
// 2. Does it change the preload for an app that uses no LLM client? Installing the hooks, and the
//    per-`require` cost of the Module._load wrapper (two string compares), measured in-process;
//    and that an ESM app not declaring a client gets no module.register() hooks thread.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compare, median, printTable, startSink } from './lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const self = fileURLToPath(import.meta.url);
const WRAPPED = Symbol.for('devtool-telemetry.wrapped');

function runChild(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err.slice(0, 800)}`))));
  });
}

function isolatedEnv(home, sinkUrl) {
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
    DEVTOOL_TELEMETRY_POLICY_FILE: join(home, 'no-policy.json'),
    OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
  };
}

/** Child mode: runs inside the preloaded process. Prints one JSON line. */
async function child(url, n) {
  const { default: OpenAI } = await import('openai');
  const client = new OpenAI({ apiKey: 'bench', baseURL: `${url}/v1`, maxRetries: 0 });
  const completions = client.chat.completions;
  const wrapped = Object.getPrototypeOf(completions).create;
  const original = wrapped[WRAPPED];
  if (typeof original !== 'function') throw new Error('chat.completions.create is not instrumented in the child');
  const messages = [{ role: 'user', content: 'benchmark the overhead please' }];
  const calls = {
    chat: (fn) => fn.call(completions, { model: 'gpt-4o-mini', messages }),
    stream: async (fn) => {
      const s = await fn.call(completions, { model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
      for await (const _ of s) {
        /* drain */
      }
    },
  };
  // The same request answered by an in-memory fetch: no socket, so what remains is the client's
  // own work and ours; the least noisy view of the capture cost.
  const json = JSON.stringify({
    id: 'x',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o-mini-2026-01-01',
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 },
  });
  const memory = new OpenAI({
    apiKey: 'bench',
    baseURL: 'http://127.0.0.1:9/v1',
    maxRetries: 0,
    fetch: async () => new Response(json, { status: 200, headers: { 'content-type': 'application/json' } }),
  }).chat.completions;
  calls.memory = (fn) => fn.call(memory, { model: 'gpt-4o-mini', messages });
  const result = {};
  for (const [kind, call] of Object.entries(calls)) {
    for (let i = 0; i < 50; i++) await call(i % 2 ? wrapped : original); // warm up both paths
    const diffs = [];
    const inst = [];
    const orig = [];
    for (let i = 0; i < n; i++) {
      const order = i % 2 ? [wrapped, original] : [original, wrapped];
      const t = [];
      for (const fn of order) {
        const t0 = process.hrtime.bigint();
        await call(fn);
        t.push(Number(process.hrtime.bigint() - t0) / 1000);
      }
      const [w, o] = i % 2 ? t : [t[1], t[0]];
      inst.push(w);
      orig.push(o);
      diffs.push(w - o);
    }
    result[kind] = { instrumentedUs: median(inst), originalUs: median(orig), overheadUs: median(diffs) };
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

/** In-process: cost of installing the hooks and of the require wrapper per `require` call. */
function requireHookCost(env) {
  const require = createRequire(import.meta.url);
  const Module = require('node:module');
  const loop = (n) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) require('node:path');
    return Number(process.hrtime.bigint() - t0) / n; // ns per require
  };
  const N = 200_000;
  loop(N);
  const before = median([loop(N), loop(N), loop(N)]);
  const originalLoad = Module._load;
  // Warm the CommonJS loader as the preload has by then (it has loaded a dozen of our modules).
  require(join(root, 'dist/cjs/recorder/context.js'));
  const t0 = process.hrtime.bigint();
  const { installInstrumentations } = require(join(root, 'dist/cjs/instrument/llm-hooks.js'));
  const fakeAgent = { run: { allows: () => true }, tool: { root: undefined }, env, debug: false, level: 'usage' };
  installInstrumentations(fakeAgent);
  const installUs = Number(process.hrtime.bigint() - t0) / 1000;
  const after = median([loop(N), loop(N), loop(N)]);
  Module._load = originalLoad; // leave this process as it was
  return { installUs, requireNsBefore: before, requireNsAfter: after };
}

export async function run({ calls = Number(process.env.BENCH_LLM_CALLS) || 400 } = {}) {
  const { startFakeLlmServer } = await import(pathToFileURL(join(root, 'examples/ai-agent/fake-llm-server.mjs')).href);
  const llm = await startFakeLlmServer();
  const sink = await startSink();
  const home = mkdtempSync(join(tmpdir(), 'dt-bench-llm-'));
  const env = isolatedEnv(home, sink.url);
  try {
    const out = await runChild(['--import', pathToFileURL(join(root, 'dist/esm/register.mjs')).href, self, '--child', llm.url, String(calls)], env);
    const r = JSON.parse(out.trim().split('\n').pop());
    console.log(`\n## LLM capture overhead per call (openai ${JSON.parse(readFileSync(join(root, 'node_modules/openai/package.json'), 'utf8')).version}, local fake server, ${calls} paired calls, medians)`);
    console.log('| call | original µs | instrumented µs | overhead µs (median of pairs) | target |');
    console.log('|---|---:|---:|---:|---:|');
    for (const [kind, v] of Object.entries(r)) {
      const label = { chat: 'chat.completions.create', stream: 'streamed, include_usage', memory: 'chat.completions.create, in-memory fetch' }[kind];
      console.log(`| ${label} | ${v.originalUs.toFixed(1)} | ${v.instrumentedUs.toFixed(1)} | ${v.overheadUs.toFixed(1)} | <= 50 |`);
    }

    const hook = requireHookCost(env);
    console.log('\n## Preload cost for an app without an LLM client');
    console.log('| measure | value |');
    console.log('|---|---:|');
    console.log(`| load src/instrument/llm-hooks + installInstrumentations() (require hook in, ESM hook skipped) | ${hook.installUs.toFixed(0)} µs |`);
    console.log(`| require() of a cached module, before the hook | ${hook.requireNsBefore.toFixed(0)} ns |`);
    console.log(`| require() of a cached module, with the hook | ${hook.requireNsAfter.toFixed(0)} ns |`);

    // An ESM app that does not declare openai/@anthropic-ai/sdk: no hooks thread is started.
    const app = mkdtempSync(join(tmpdir(), 'dt-bench-esm-'));
    const withClient = mkdtempSync(join(tmpdir(), 'dt-bench-esm-client-'));
    const probe = `console.log(String(!!globalThis[Symbol.for('devtool-telemetry.esm-client-loaded')]));\n`;
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'no-llm-esm', version: '1.0.0', type: 'module' }));
    writeFileSync(join(app, 'app.js'), probe);
    writeFileSync(join(withClient, 'package.json'), JSON.stringify({ name: 'llm-esm', version: '1.0.0', type: 'module', dependencies: { openai: '6.30.1' } }));
    writeFileSync(join(withClient, 'app.js'), probe);
    const importFlag = ['--import', pathToFileURL(join(root, 'dist/esm/register.mjs')).href];
    try {
      const registered = (await runChild([...importFlag, join(app, 'app.js')], env)).trim();
      console.log(`| ESM app without a client: module.register() hooks installed | ${registered === 'true' ? 'yes (unexpected)' : 'no'} |`);

      // What the ESM hook costs the apps that do get it (they declare a client): start-up of the
      // same trivial ESM app, preloaded, without and with the declaration.
      const runs = Number(process.env.BENCH_RUNS) || 10;
      const rows = await compare(
        [
          { name: 'plain node (ESM app)', cmd: process.execPath, args: [join(app, 'app.js')], env },
          { name: 'preloaded, no client declared', cmd: process.execPath, args: [...importFlag, join(app, 'app.js')], env },
          { name: 'preloaded, openai declared (ESM hook)', cmd: process.execPath, args: [...importFlag, join(withClient, 'app.js')], env },
        ],
        { runs },
      );
      printTable(`ESM load hook cost, paid only by ESM apps that declare an LLM client (${runs} runs, medians)`, rows, 'plain node (ESM app)');
      return { perCall: r, hook, esmHookForNoClientApp: registered === 'true', esmStartup: rows };
    } finally {
      rmSync(app, { recursive: true, force: true });
      rmSync(withClient, { recursive: true, force: true });
    }
  } finally {
    await llm.close();
    await sink.close();
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3], Number(process.argv[4]));
else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
