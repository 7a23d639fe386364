/**
 * Issue 12, item 6: when the tool itself does not use devtool-telemetry (the preload came from
 * NODE_OPTIONS set by a CI or platform team), the first-run notice must not claim that the tool's
 * authors collect anything: it says the environment set it up, and where the data goes (the
 * endpoint's host only: never credentials, port, path or query).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destinationHost, noticeText } from '../../src/consent/notice';
import type { ConsentDecision } from '../../src/consent/resolve';
import { detectTool, type ToolIdentity } from '../../src/resource/tool';
import { FIXTURES_DIR, linkPackage, REPO_ROOT, runFixture } from '../support/run-fixture';
import { sandboxPerFile } from '../support/hooks';

const decision = (ci = false): ConsentDecision => ({ level: 'usage', source: 'default', reports: [], ci, identity: ci ? 'session' : 'install' }) as unknown as ConsentDecision;
const ENDPOINT = 'https://bob:s3cret-PASS@collector.acme.example:4318/tenant-42/otlp?token=QUERY-SECRET';
const LEAKS = ['bob', 's3cret-PASS', 'tenant-42', 'QUERY-SECRET', '4318'];

describe('noticeText', () => {
  const foreign: ToolIdentity = { name: 'prettier', version: '3.3.3', options: {}, integrated: false, problems: [] };
  const own: ToolIdentity = { name: 'fixture-tool', version: '1.2.3', options: {}, integrated: true, problems: [] };

  it('a tool that does not use us: the environment, and the endpoint host only', () => {
    for (const ci of [false, true]) {
      const text = noticeText(decision(ci), foreign, { OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT });
      expect(text).toContain('this environment');
      expect(text).toContain('collector.acme.example');
      expect(text).not.toMatch(/help its authors|prettier collects|prettier records/);
      for (const leak of LEAKS) expect(text).not.toContain(leak);
    }
    expect(noticeText(decision(), foreign, {})).toContain("prettier's authors receive nothing");
  });

  it('the traces endpoint decides; no endpoint means the default local collector', () => {
    expect(destinationHost({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces.example/v1/traces', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other.example' })).toBe('traces.example');
    expect(destinationHost({})).toBe('localhost');
    expect(destinationHost({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).not.toContain('not a url');
    // an invalid endpoint sends nothing: the notice must not name the default host for it
    expect(destinationHost({ OTEL_EXPORTER_OTLP_ENDPOINT: 'garbage' })).toBe('an unusable endpoint');
  });

  it('a tool built on us keeps its own notice', () => {
    expect(noticeText(decision(), own, { OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT })).toContain('fixture-tool collects anonymous telemetry (level usage) to help its authors improve it.');
  });
});

describe('detectTool: does the tool use us?', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'integrated-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const tool = (pkg: object) => {
    const d = fs.mkdtempSync(path.join(dir, 't-'));
    fs.writeFileSync(path.join(d, 'package.json'), JSON.stringify(pkg));
    fs.writeFileSync(path.join(d, 'cli.js'), '');
    return detectTool(path.join(d, 'cli.js'));
  };

  it('no dependency and no configuration: not integrated', () => {
    expect(tool({ name: 'prettier', dependencies: { chalk: '1' } }).integrated).toBe(false);
  });
  it('a dependency of any kind, or a devtoolTelemetry block: integrated', () => {
    expect(tool({ name: 'a', dependencies: { 'devtool-telemetry': '0.1.0' } }).integrated).toBe(true);
    expect(tool({ name: 'b', optionalDependencies: { 'devtool-telemetry': '0.1.0' } }).integrated).toBe(true);
    expect(tool({ name: 'c', devtoolTelemetry: { docsUrl: 'https://c.example/telemetry' } }).integrated).toBe(true);
  });
  it('no entry script at all (node -e, stdin, the REPL): not integrated', () => {
    expect(detectTool(undefined).integrated).toBe(false);
  });
  it('a script outside any package: not integrated', () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'loose-'));
    fs.writeFileSync(path.join(d, 's.js'), '');
    expect(detectTool(path.join(d, 's.js')).integrated).toBe(false);
    fs.rmSync(d, { recursive: true });
  });
  it('a bin reached through node_modules/.bin belongs to its own package', () => {
    const project = fs.mkdtempSync(path.join(dir, 'project-'));
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'my-project', dependencies: { 'devtool-telemetry': '1' } }));
    const pkg = path.join(project, 'node_modules', 'prettier');
    fs.mkdirSync(path.join(project, 'node_modules', '.bin'), { recursive: true });
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'prettier', version: '3.3.3' }));
    fs.writeFileSync(path.join(pkg, 'bin.js'), '');
    fs.symlinkSync('../prettier/bin.js', path.join(project, 'node_modules', '.bin', 'prettier'));
    const t = detectTool(path.join(project, 'node_modules', '.bin', 'prettier'));
    expect(t.name).toBe('prettier');
    expect(t.integrated).toBe(false);
  });
});

describe('first run under NODE_OPTIONS (real processes)', () => {
  const sb = sandboxPerFile();
  beforeAll(() => linkPackage(path.join(FIXTURES_DIR, 'naming', 'declared-cli')));

  it('a tool that does not use us: the notice names the environment and the host', async () => {
    const run = await runFixture({ script: path.join(FIXTURES_DIR, 'naming', 'plain-cli', 'cli.js'), mode: 'node-options', env: { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT } });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('plain-cli 0 args\n');
    expect(run.stderr).toContain('devtool-telemetry: this environment records anonymous telemetry about runs of plain-cli');
    expect(run.stderr).toContain('collector.acme.example');
    expect(run.stderr).not.toContain('help its authors');
    for (const leak of LEAKS) expect(run.stderr).not.toContain(leak);
  });

  it('`node -e` (no script of a tool of its own): the environment notice', () => {
    const run = spawnSync(process.execPath, ['-e', 'console.log(1)'], {
      cwd: sb.home,
      env: { ...sb.env, NODE_OPTIONS: `--require ${path.join(REPO_ROOT, 'dist', 'cjs', 'register.js')}`, OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('1\n');
    expect(run.stderr).toContain('devtool-telemetry: this environment records anonymous telemetry');
    expect(run.stderr).not.toContain('help its authors');
  });

  it('a tool that depends on us: its own notice', async () => {
    const run = await runFixture({ script: path.join(FIXTURES_DIR, 'naming', 'declared-cli', 'cli.js'), mode: 'node-options', env: { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT } });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('declared-cli collects anonymous telemetry (level usage) to help its authors improve it.');
    expect(run.stderr).not.toContain('this environment');
  });
});
