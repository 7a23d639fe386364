// Shared benchmark helpers: spawn a command N times (interleaved across variants so machine
// noise hits all alike), take medians of wall time and of the child's peak RSS.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs one command; resolves { ms, rssKb } (rssKb from a `RSS_KB=` line the app prints to stderr). */
export function timeOnce(cmd, args, env, cwd) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const m = /RSS_KB=(\d+)/.exec(err);
      const c = /CPU_US=(\d+)/.exec(err);
      if (code !== 0) return reject(new Error(`${args.join(' ')} exited ${code}: ${err.slice(0, 500)}`));
      resolve({ ms, rssKb: m ? Number(m[1]) : NaN, cpuMs: c ? Number(c[1]) / 1000 : NaN });
    });
  });
}

/**
 * variants: [{ name, cmd, args, env, cwd? }]; returns rows with medians. `warmup` runs are discarded.
 */
export async function compare(variants, { runs = 15, warmup = 2 } = {}) {
  const samples = new Map(variants.map((v) => [v.name, []]));
  for (let i = 0; i < warmup + runs; i++) {
    for (const v of variants) {
      const r = await timeOnce(v.cmd, v.args, v.env, v.cwd);
      if (i >= warmup) samples.get(v.name).push(r);
    }
  }
  return variants.map((v) => {
    const s = samples.get(v.name);
    return { name: v.name, ms: median(s.map((x) => x.ms)), cpuMs: median(s.map((x) => x.cpuMs)), rssMb: median(s.map((x) => x.rssKb)) / 1024 };
  });
}

export function printTable(title, rows, baseline) {
  const base = rows.find((r) => r.name === baseline);
  console.log(`\n## ${title}`);
  console.log('| variant | wall ms (median) | vs plain | ratio | CPU ms in process | vs plain | peak RSS MB | vs plain |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const d = base ? r.ms - base.ms : NaN;
    const ratio = base ? r.ms / base.ms : NaN;
    const dr = base ? r.rssMb - base.rssMb : NaN;
    const dc = base ? r.cpuMs - base.cpuMs : NaN;
    const sign = (x) => (x >= 0 ? '+' : '') + x.toFixed(1);
    console.log(
      `| ${r.name} | ${r.ms.toFixed(1)} | ${sign(d)} | ${ratio.toFixed(2)}x | ${r.cpuMs.toFixed(1)} | ${sign(dc)} | ${r.rssMb.toFixed(1)} | ${sign(dr)} |`,
    );
  }
}

/** A loopback sink that answers 200 to anything (OTLP, PostHog batch): the "collector up" case. */
export function startSink() {
  return new Promise((resolve) => {
    let count = 0;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        count++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}`, port, count: () => count, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

/**
 * A throwaway home for benchmark runs: config, cache and policy file inside it, so a benchmark
 * never reads or writes the user's own telemetry state. `env` is the minimal child environment.
 */
export function benchHome(prefix = 'dt-bench-') {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
    DEVTOOL_TELEMETRY_POLICY_FILE: join(home, 'no-policy.json'),
  };
  return { home, env, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}
