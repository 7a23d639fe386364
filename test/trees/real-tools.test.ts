// Real third-party process trees under NODE_OPTIONS: `concurrently` (pinned devDependency)
// running two preloaded tools gives one trace of three command spans and one notice (the top
// process's, on its own stderr, never a child's in concurrently's output); `npm run` through `sh`
// (not preloaded) keeps every tool under npm's CLIENT span.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox, REPO_ROOT, runFixture } from '../support/run-fixture';
import { commandOf, FIXTURES, isCommand, parentOf, renderTree, startTrees, type Trees } from './helpers';

const CONCURRENTLY = path.join(REPO_ROOT, 'node_modules', 'concurrently', 'dist', 'bin', 'index.js');
const NPM_CLI = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
const A = path.join(FIXTURES, 'tool-a', 'cli.js');
const B = path.join(FIXTURES, 'tool-b', 'cli.js');

let t: Trees;
beforeAll(async () => {
  t = await startTrees();
});
afterAll(async () => t?.close());

describe('concurrently "tool-a" "tool-b" under the preload', () => {
  it('is one trace: concurrently, a CLIENT span per child, and each tool under its CLIENT span', async () => {
    const { run, spans } = await t.run(CONCURRENTLY, [`node "${A}"`, `node "${B}"`], {}, { commands: 3 });
    expect(run.code).toBe(0);
    const cmds = spans.filter(isCommand);
    expect(cmds.map((s) => s.resource['service.name']).sort(), renderTree(spans)).toEqual(['concurrently', 'tool-a', 'tool-b']);
    expect(new Set(spans.map((s) => s.traceId)).size, renderTree(spans)).toBe(1);
    const top = commandOf(spans, 'concurrently');
    expect(top.parentSpanId).toBeUndefined();
    for (const tool of ['tool-a', 'tool-b']) {
      const client = parentOf(spans, commandOf(spans, tool))!;
      expect(client.kind).toBe(3);
      // concurrently runs each command through `/bin/sh -c`: the executable it started is sh.
      expect(client.name).toBe('sh');
      expect(client.attributes['process.exit.code']).toBe(0);
      expect(client.parentSpanId).toBe(top.spanId);
    }
  });

  it('prints the notice once, from concurrently itself; no child notice in its output', async () => {
    const sb = makeSandbox(); // a user who never saw any notice
    try {
      const env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: t.receiver.url };
      const r = await runFixture({ script: CONCURRENTLY, args: [`node "${A}"`, `node "${B}"`], env, mode: 'node-options', cwd: sb.home, timeoutMs: 30_000 });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('tool-a ctx');
      expect(r.stdout).toContain('tool-b ctx');
      expect(r.stdout).not.toContain('devtool-telemetry');
      const notices = r.stderr.split('\n').filter((l) => l.startsWith('devtool-telemetry: '));
      expect(notices).toEqual([expect.stringContaining("devtool-telemetry: this environment records anonymous telemetry about runs of concurrently")]);
    } finally {
      sb.cleanup();
    }
  });
});

describe('npm run under the preload', () => {
  it('npm -> sh (not preloaded) -> two node tools: one trace, both tools under npm\'s CLIENT span', async () => {
    expect(fs.existsSync(NPM_CLI), NPM_CLI).toBe(true);
    const cwd = path.join(FIXTURES, 'npm-project');
    const npmEnv = { npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_cache: path.join(t.sb.home, '.npm') };
    const seen = new Set(t.receiver.spans().map((s) => s.spanId));
    const r = await runFixture({ script: NPM_CLI, args: ['run', '--silent', 'check'], env: { ...t.env, ...npmEnv }, mode: 'node-options', cwd, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('tool-a ctx');
    const fresh = () => t.receiver.spans().filter((s) => !seen.has(s.spanId));
    await t.receiver.waitFor(() => fresh().filter(isCommand).length >= 3, 30_000);
    const spans = fresh();
    expect(new Set(spans.map((s) => s.traceId)).size, renderTree(spans)).toBe(1);
    const npm = spans.find((s) => isCommand(s) && !s.parentSpanId)!;
    expect(npm.resource['service.name']).toBe('npm');
    const a = parentOf(spans, commandOf(spans, 'tool-a'))!;
    const b = parentOf(spans, commandOf(spans, 'tool-b'))!;
    expect(a.spanId).toBe(b.spanId); // both started by the one `sh -c` npm ran
    expect(a.kind).toBe(3);
    expect(a.name).toBe('sh');
    expect(a.parentSpanId).toBe(npm.spanId);
  }, 90_000);
});
