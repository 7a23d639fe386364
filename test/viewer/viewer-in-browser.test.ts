/**
 * The viewer (viewer/) in a real browser over the real stack: the examples run under the preload,
 * their records go spool -> shipper -> our collector -> Jaeger and Prometheus, and headless Chromium
 * (Debian's, driven by playwright-core) reads what the viewer shows. Numbers on the metrics page are
 * checked against the same PromQL run directly against Prometheus. Screenshots of every page go to
 * build/viewer-screenshots/ for a person to look at, with the measured load times (load-times.json).
 */
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, linkPackage, makeSandbox, preloadArgs, runFixture, type Sandbox } from '../support/run-fixture';
import { attrs, hex, nowNs, postOtlp, tracesBody } from '../collector/helpers';
import { SCREENSHOT_DIR, launchBrowser, open, screenshot, type Browser } from './browser';
import { ensureBuilt, findFreePorts, freeStackPorts, startStack } from '../../scripts/stack-lib.mjs';
// @ts-expect-error: plain ESM
import { startViewerProcess } from '../../viewer/stack.mjs';
// @ts-expect-error: plain ESM
import { startViewer } from '../../viewer/server.mjs';

const EXAMPLES = path.join(REPO_ROOT, 'examples');
linkPackage(EXAMPLES);

let stack: any;
let viewer: { url: string; stop(): Promise<unknown> };
let browser: Browser;
let sb: Sandbox;
const loadTimes: Record<string, { wallMs: number; pageMs: number }> = {};

beforeAll(async () => {
  await ensureBuilt({ log: () => {} });
  const ports = await freeStackPorts();
  const workDir = fs.mkdtempSync(path.join(REPO_ROOT, 'build', 'viewer-test-'));
  stack = await startStack({ ...ports, workDir, scrapeInterval: '1s' });
  // the viewer as `npm run stack` runs it: its own process, pid and log in the stack's workDir
  viewer = await startViewerProcess({ endpoints: stack.endpoints, workDir, port: ports.viewerPort });
  browser = await launchBrowser();
  sb = makeSandbox();
  fs.rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await viewer?.stop();
  await stack?.stop();
  if (stack) fs.rmSync(stack.workDir, { recursive: true, force: true });
  sb?.cleanup();
  if (Object.keys(loadTimes).length) {
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    fs.writeFileSync(path.join(SCREENSHOT_DIR, 'load-times.json'), JSON.stringify(loadTimes, null, 2) + '\n');
  }
});

/** Open a page, wait for it to render, keep its load time. */
async function visit(name: string, pathAndQuery: string, base = viewer.url) {
  const r = await open(browser.page, base + pathAndQuery);
  loadTimes[name] = { wallMs: r.wallMs, pageMs: r.pageMs };
  return r.state;
}
const page = () => browser.page;
const mainText = () => page().locator('main').innerText();

async function jaegerTraces(service: string): Promise<any[]> {
  return stack.queryJaegerTraces(service, { limit: 100 });
}
async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await fn().catch(() => undefined as T);
    if (last !== undefined && ok(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 400)}`);
}
const tagOf = (span: any, key: string) => span.tags.find((t: any) => t.key === key)?.value;
const rootOf = (trace: any) => trace.spans.find((s: any) => !s.references?.some((r: any) => trace.spans.some((o: any) => o.spanID === r.spanID)));

describe('the viewer over the real stack, in headless Chromium', { timeout: 240_000 }, () => {
  it('an empty store: the runs page and the panels say there is nothing yet', async () => {
    expect(await visit('runs (empty store)', '/')).toBe('runs');
    expect(await mainText()).toContain('No runs in Jaeger yet');
    await screenshot(page(), 'empty-runs');

    expect(await visit('metrics (empty store)', '/metrics')).toBe('metrics');
    const panelTexts = await page().locator('section.panel').allInnerTexts();
    expect(panelTexts.length).toBeGreaterThan(5);
    for (const t of panelTexts) expect(t).toContain('No data');
    expect(await mainText()).toContain('No devtool-telemetry metrics in Prometheus for this range yet');
    await screenshot(page(), 'empty-metrics');
    expect(browser.pageErrors).toEqual([]);
  });

  it('lists the runs the examples just made, with outcome, duration and exit code', async () => {
    const env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: stack.endpoints.otlpHttp };
    const cli = path.join(EXAMPLES, 'cli-tool', 'cli.js');
    expect((await runFixture({ script: cli, args: ['greet', 'Ada'], mode: 'require', env })).code).toBe(0);
    expect((await runFixture({ script: cli, args: ['build'], mode: 'require', env })).code).toBe(0);
    expect((await runFixture({ script: cli, args: ['deploy'], mode: 'require', env })).code).toBe(1);
    const agent = await runFixture({ script: path.join(EXAMPLES, 'ai-agent', 'agent.mjs'), args: ['fix', 'the', 'parser'], mode: 'import', env, timeoutMs: 60_000 });
    expect(agent.code, agent.stderr).toBe(0);
    await runServer(env);

    const cliTraces = await until(() => jaegerTraces('cli-tool'), (t) => t.length === 3, 'three cli-tool traces in Jaeger');
    await until(() => jaegerTraces('ai-agent'), (t) => t.length === 1, 'the ai-agent trace in Jaeger');
    await until(() => jaegerTraces('example-server'), (t) => t.some((tr) => tr.spans.some((s: any) => s.operationName === 'example-server serve')), 'the server run in Jaeger');

    expect(await visit('runs', '/')).toBe('runs');
    const rows = page().locator('table.runs tbody tr');
    const cells = await rows.evaluateAll((trs) =>
      trs.map((tr) => ({ id: tr.getAttribute('data-trace-id'), tool: tr.querySelector('.tool')!.textContent, command: tr.querySelector('.command')!.textContent, outcome: tr.querySelector('.outcome')!.textContent, exit: tr.querySelector('.exit')!.textContent, duration: tr.querySelector('.duration')!.textContent })),
    );
    // every cli-tool trace of Jaeger is one row, with its root span's facts
    for (const t of cliTraces) {
      const root = rootOf(t);
      const row = cells.find((c) => c.id === t.traceID);
      expect(row, `row for ${root.operationName}`).toBeDefined();
      expect(row!.tool).toContain('cli-tool');
      expect(row!.command).toBe(tagOf(root, 'devtool.command.name'));
      expect(row!.exit).toBe(String(tagOf(root, 'process.exit.code')));
      expect(row!.outcome).toContain(tagOf(root, 'devtool.command.outcome'));
      expect(row!.duration).toMatch(/^\d+(\.\d+)? (ms|s|µs)$/);
    }
    const deploy = cells.find((c) => c.command === 'cli-tool deploy')!;
    expect(deploy.outcome).toContain('failure');
    expect(deploy.outcome).toContain('ConfigError');
    expect(deploy.exit).toBe('1');
    expect(cells.find((c) => c.command === 'cli-tool build')!.outcome).toContain('success');
    expect(cells.some((c) => c.tool?.startsWith('ai-agent'))).toBe(true);
    expect(cells.some((c) => c.command === 'example-server serve')).toBe(true);
    await screenshot(page(), 'runs');

    // the tool picker narrows the list to one tool
    await page().selectOption('#tool', 'cli-tool');
    await page().waitForURL(/tool=cli-tool/);
    await page().waitForSelector('body[data-ready]');
    expect(await page().locator('table.runs tbody tr').count()).toBe(3);
    expect(browser.pageErrors).toEqual([]);
  });

  it('opens the agent run as a waterfall: nested steps, LLM calls with model and tokens', async () => {
    const [trace] = await jaegerTraces('ai-agent');
    await visit('runs', '/?tool=ai-agent');
    await page().click('table.runs tbody tr a');
    await page().waitForURL(/\/trace\//);
    await page().waitForSelector('body[data-ready="trace"]');
    loadTimes['trace (ai-agent)'] = { wallMs: NaN, pageMs: Number(await page().getAttribute('body', 'data-ready-ms')) };
    expect(page().url()).toBe(`${viewer.url}/trace/${trace.traceID}`);

    const rows = await page().locator('.wf-row').evaluateAll((els) => els.map((e) => ({ id: e.getAttribute('data-span-id'), kind: e.getAttribute('data-kind'), depth: Number(e.getAttribute('data-depth')), text: (e.querySelector('.wf-label') as HTMLElement).innerText })));
    expect(rows.map((r) => r.id).sort()).toEqual(trace.spans.map((s: any) => s.spanID).sort());
    expect(rows[0]!.kind).toBe('command');
    expect(rows[0]!.depth).toBe(0);
    const llmSpans = trace.spans.filter((s: any) => tagOf(s, 'gen_ai.request.model'));
    expect(llmSpans.length).toBeGreaterThan(0);
    for (const s of llmSpans) {
      const row = rows.find((r) => r.id === s.spanID)!;
      expect(row.kind).toBe('llm');
      expect(row.depth).toBeGreaterThan(0);
      expect(row.text).toContain(`model ${tagOf(s, 'gen_ai.response.model') ?? tagOf(s, 'gen_ai.request.model')}`);
      expect(row.text).toContain(`input tokens ${tagOf(s, 'gen_ai.usage.input_tokens')}`);
      expect(row.text).toContain(`output tokens ${tagOf(s, 'gen_ai.usage.output_tokens')}`);
    }
    expect(rows.filter((r) => r.kind === 'step').length).toBe(trace.spans.filter((s: any) => tagOf(s, 'devtool.step.name')).length);
    expect(rows.some((r) => r.kind === 'step' && r.depth === 1)).toBe(true);
    // a row opens to every attribute of its span
    await page().locator('.wf-row').nth(1).click();
    const attrsText = await page().locator('.wf-row').nth(1).locator('.wf-attrs').innerText();
    expect(attrsText).toContain(trace.spans.find((s: any) => s.spanID === rows[1]!.id).tags[0].key);
    await screenshot(page(), 'trace-ai-agent');
  });

  it('opens the server run with its HTTP requests', async () => {
    const traces = await jaegerTraces('example-server');
    const trace = traces.find((t) => t.spans.some((s: any) => s.operationName === 'example-server serve'));
    expect(await visit('trace (example-server)', `/trace/${trace.traceID}`)).toBe('trace');
    const http = await page().locator('.wf-row[data-kind="http"]').allInnerTexts();
    const httpSpans = trace.spans.filter((s: any) => tagOf(s, 'http.request.method'));
    expect(httpSpans.length).toBeGreaterThan(0);
    expect(http.length).toBe(httpSpans.length);
    expect(http.join('\n')).toMatch(/status 502/);
    expect(await page().locator('#span-count').innerText()).toBe(String(trace.spans.length));
    // The failed step's exception event (OTLP logs, from the collector's logs file) in the same trace.
    await until(() => fetch(`${viewer.url}/api/traces/${trace.traceID}`).then((r) => r.json()), (t: any) => t.logs?.some((l: any) => l.event === 'exception'), 'the exception event of the server run');
    expect(await visit('trace (example-server)', `/trace/${trace.traceID}`)).toBe('trace');
    const events = (await page().locator('table.logs tr[data-event="exception"]').allInnerTexts()).join('\n');
    expect(events).toMatch(/exception\.type=UpstreamError/);
    expect(events).toMatch(/step work/); // on the step span it happened in
    expect(events).not.toMatch(/upstream refused/); // the message never leaves the process below full
    await screenshot(page(), 'trace-example-server');
  });

  it("shows the dashboard's panels with the numbers Prometheus gives for the same PromQL", async () => {
    // all five runs of the examples counted (three cli-tool, the agent, the server)
    await until(() => stack.queryPrometheus('sum(devtool_command_runs_total)'), (r: any[]) => r[0]?.value[1] === '5', 'five runs in Prometheus', 90_000);
    await until(() => stack.queryPrometheus('sum(gen_ai_client_token_usage_sum)'), (r: any[]) => r.length > 0, 'token usage in Prometheus');
    await stack.waitForScrape(Date.now());

    expect(await visit('metrics', '/metrics?range=1h')).toBe('metrics');
    const panels = await page().locator('section.panel').evaluateAll((els) =>
      els.map((el) => ({
        title: el.querySelector('h2')!.textContent,
        type: el.getAttribute('data-panel-type'),
        queries: [...el.querySelectorAll('code[data-expr]')].map((c) => ({ ...(c as HTMLElement).dataset })),
        values: [...el.querySelectorAll('[data-legend]')].map((e) => ({ legend: e.getAttribute('data-legend'), value: e.querySelector('[data-value]')?.getAttribute('data-value'), text: e.querySelector('[data-value]')?.textContent })),
        error: el.querySelector('.perr')?.textContent ?? null,
      })),
    );
    const dash = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'collector-config/grafana/dashboards/devtool-telemetry.json'), 'utf8'));
    expect(panels.map((p) => p.title)).toEqual(expect.arrayContaining(dash.panels.map((p: any) => p.title)));
    let compared = 0;
    for (const p of panels) {
      expect(p.error, p.title!).toBeNull();
      // what Prometheus says for the very same expressions at the same time
      const expected: Array<[string, string]> = [];
      for (const q of p.queries) {
        const body = q.time
          ? await promApi('/api/v1/query', { query: q.expr!, time: q.time })
          : await promApi('/api/v1/query_range', { query: q.expr!, start: q.start!, end: q.end!, step: q.step! });
        const target = dash.panels.find((d: any) => d.title === p.title).targets.find((t: any) => t.refId === q.ref);
        for (const r of body.data.result) {
          const raw = r.value ? r.value[1] : r.values.at(-1)[1];
          expected.push([legend(target.legendFormat, r.metric), String(Number(raw))]);
        }
      }
      const shown = p.values.map((v) => [v.legend!, v.value!] as [string, string]);
      expect(shown.sort(), p.title!).toEqual(expected.sort());
      compared += shown.length;
    }
    expect(compared).toBeGreaterThan(10);
    // the numbers a person reads are those values
    const total = panels.find((p) => p.title === 'Command runs (total)')!;
    expect(Number(total.values[0]!.value)).toBeGreaterThan(0);
    expect(total.values[0]!.text!.replace(/,/g, '')).toBe(String(Number(total.values[0]!.value)));
    const tokens = panels.find((p) => /token/i.test(p.title!) && p.type === 'bargauge')!;
    expect(tokens.values.length).toBeGreaterThan(0);
    for (const v of tokens.values) expect(v.text!.replace(/,/g, '')).toBe(String(Math.round(Number(v.value))));
    await screenshot(page(), 'metrics');
    expect(browser.pageErrors).toEqual([]);
  });

  it('bad input: unknown and malformed trace ids, markup in a tool name', async () => {
    expect(await visit('trace (unknown id)', `/trace/${hex(16)}`)).toBe('error');
    expect(await mainText()).toContain('Jaeger holds no trace');
    await screenshot(page(), 'unknown-trace');
    expect(await visit('trace (malformed id)', '/trace/%3Cscript%3E')).toBe('error');
    expect(await mainText()).toContain('a trace id is 1 to 32 hexadecimal digits');
    expect((await fetch(`${viewer.url}/api/traces/nothex`)).status).toBe(400);
    expect((await fetch(`${viewer.url}/api/panels?range=forever`)).status).toBe(400);
    expect((await fetch(`${viewer.url}/../../etc/passwd`)).status).toBe(404);

    // a tool whose name is markup, and a trace that spans two processes (parent and child tool),
    // straight into Jaeger's own OTLP receiver (our SDK would never send such a name)
    const evil = `<img src=x onerror="window.__pwned=1"><b>evil-${hex(2)}</b>`;
    const traceId = hex(16);
    const parent = hex(8);
    const t = nowNs();
    const mk = (spanId: string, name: string, a: Record<string, any>, parentSpanId?: string) => ({
      traceId,
      spanId,
      ...(parentSpanId ? { parentSpanId } : {}),
      name,
      kind: 1,
      startTimeUnixNano: String(t - 50_000_000n),
      endTimeUnixNano: String(t),
      attributes: attrs(a),
      status: { code: 0 },
    });
    const r1 = await postOtlp(stack.endpoints.jaegerOtlpHttp, 'traces', tracesBody({ 'service.name': evil }, [mk(parent, `${evil} run`, { 'devtool.command.name': `${evil} run`, 'devtool.command.outcome': 'success', 'process.exit.code': 0 })]));
    const r2 = await postOtlp(stack.endpoints.jaegerOtlpHttp, 'traces', tracesBody({ 'service.name': 'child-tool' }, [mk(hex(8), 'child-tool lint', { 'devtool.command.name': 'child-tool lint', 'devtool.command.outcome': 'failure', 'process.exit.code': 2 }, parent)]));
    expect([r1.status, r2.status]).toEqual([200, 200]);
    await until(() => jaegerTraces(evil), (ts) => ts.length === 1 && ts[0].spans.length === 2, 'the hand-made trace in Jaeger');

    await visit('runs (markup in a tool name)', '/');
    const row = page().locator(`tr[data-trace-id="${traceId}"]`);
    expect(await row.locator('.tool').innerText()).toBe(evil);
    expect(await page().locator('main img').count()).toBe(0);
    expect(await page().locator('main b').count()).toBe(0);
    expect(await page().evaluate(() => (window as any).__pwned)).toBeUndefined();
    expect(await page().locator('#tool option', { hasText: evil }).count()).toBe(1);
    await screenshot(page(), 'runs-markup-tool-name');

    await row.locator('a').click();
    await page().waitForSelector('body[data-ready="trace"]');
    expect(await page().locator('h1').innerText()).toBe(`${evil} run`);
    expect(await page().locator('#tool-name').innerText()).toBe(evil);
    const kinds = await page().locator('.wf-row').evaluateAll((els) => els.map((e) => [e.getAttribute('data-kind'), e.getAttribute('data-depth')]));
    expect(kinds).toEqual([
      ['command', '0'],
      ['process', '1'],
    ]);
    expect(await page().locator('.wf-row[data-kind="process"]').innerText()).toContain('exit code 2');
    expect(await page().locator('main img').count()).toBe(0);
    expect(await page().evaluate(() => (window as any).__pwned)).toBeUndefined();
    await screenshot(page(), 'trace-process-tree');
    expect(browser.pageErrors).toEqual([]);
  });

  it('says clearly when Jaeger or Prometheus is down', async () => {
    const [deadA, deadB] = await findFreePorts(2);
    const down = await startViewer({ port: 0, jaegerUrl: `http://127.0.0.1:${deadA}`, prometheusUrl: `http://127.0.0.1:${deadB}` });
    // Jaeger up, Prometheus down: runs still listed, the metrics page says what is missing
    const half = await startViewer({ port: 0, jaegerUrl: stack.endpoints.jaegerUi, prometheusUrl: `http://127.0.0.1:${deadB}` });
    try {
      expect(await visit('runs (Jaeger down)', '/', down.url)).toBe('error');
      const text = await mainText();
      expect(text).toContain('Jaeger is not reachable');
      expect(text).toContain(`http://127.0.0.1:${deadA}`);
      expect(text).toContain('npm run stack');
      await screenshot(page(), 'down-jaeger');
      expect(await visit('metrics (Prometheus down)', '/metrics', down.url)).toBe('error');
      expect(await mainText()).toContain('Prometheus is not reachable');
      await screenshot(page(), 'down-prometheus');

      expect(await visit('runs (Prometheus down)', '/', half.url)).toBe('runs');
      expect(await page().locator('table.runs tbody tr').count()).toBeGreaterThan(0);
      expect(await visit('metrics (Prometheus down, Jaeger up)', '/metrics', half.url)).toBe('error');
      expect(await mainText()).toContain('Prometheus is not reachable');
    } finally {
      await down.close();
      await half.close();
    }
    expect(browser.pageErrors).toEqual([]);
  });
});

describe('npm run stack serves the viewer', { timeout: 240_000 }, () => {
  it('start prints the viewer link and which Jaeger runs (one on PATH first), the viewer answers, stop ends it', async () => {
    const ports = await freeStackPorts();
    const viewerPort = ports.viewerPort;
    const dir = fs.mkdtempSync(path.join(REPO_ROOT, 'build', 'viewer-stack-'));
    // a `jaeger` on PATH (as a user with the official release has) is the one the stack runs
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(path.join(REPO_ROOT, 'build/jaeger/jaeger'), path.join(bin, 'jaeger'));
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      PATH: `${bin}${path.delimiter}${process.env.PATH}`,
      DEVTOOL_STACK_DIR: dir,
    };
    const { ENV_PORTS } = await import('../../scripts/stack-lib.mjs');
    // every DEVTOOL_*_PORT, DEVTOOL_VIEWER_PORT included
    for (const [k, v] of Object.entries(ENV_PORTS as Record<string, string>)) env[v] = String((ports as any)[k]);
    const run = (cmd: string) => promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'scripts/stack.mjs'), cmd], { env, cwd: REPO_ROOT, timeout: 180_000 });
    try {
      const started = await run('start');
      expect(started.stdout).toContain(`http://127.0.0.1:${viewerPort}/`);
      expect(started.stdout).toContain(`Jaeger binary     ${path.join(bin, 'jaeger')} (from PATH`);
      const info = JSON.parse(fs.readFileSync(path.join(dir, 'stack.json'), 'utf8'));
      expect(info.bins.jaeger).toBe(path.join(bin, 'jaeger'));
      expect(fs.readFileSync(`/proc/${info.pids.jaeger}/cmdline`, 'utf8')).toContain(path.join(bin, 'jaeger'));
      const res = await fetch(`http://127.0.0.1:${viewerPort}/api/runs`);
      expect(res.status).toBe(200);
      expect((await res.json()).runs).toEqual([]);
      const status = await run('status');
      expect(status.stdout).toMatch(/viewer: running \(pid \d+\)/);
    } finally {
      const stopped = await run('stop');
      expect(stopped.stdout).toContain('viewer');
      fs.rmSync(dir, { recursive: true, force: true });
    }
    await expect(fetch(`http://127.0.0.1:${viewerPort}/`)).rejects.toThrow();
  });
});

/** Run examples/server under the preload, send it five requests, end it with SIGTERM. */
async function runServer(env: Record<string, string>) {
  const { args, env: childEnv } = preloadArgs('require', env);
  const child = spawn(process.execPath, [...args, path.join(EXAMPLES, 'server', 'server.js')], { cwd: path.join(EXAMPLES, 'server'), env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise((r) => child.on('exit', r));
  const deadline = Date.now() + 15_000;
  while (!/listening (\S+)/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const url = /listening (\S+)/.exec(out)![1]!;
  for (const p of ['/health', '/work?id=1', '/work?id=2', '/fail', '/health']) await (await fetch(url + p)).text();
  child.kill('SIGTERM');
  await exited;
}

async function promApi(pathname: string, params: Record<string, string>) {
  const u = new URL(pathname, stack.endpoints.prometheus);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  const body = await (await fetch(u)).json();
  expect(body.status, JSON.stringify(body)).toBe('success');
  return body;
}

/** Grafana's legendFormat: {{label}} from the series' labels. */
function legend(format: string, metric: Record<string, string>) {
  if (format) return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k) => metric[k] ?? '');
  const labels = Object.entries(metric).filter(([k]) => k !== '__name__');
  return `{${labels.map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
}
