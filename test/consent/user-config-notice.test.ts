import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectAgent } from '../../src/consent/ai-agent';
import { _resetNoticeState, maybeShowNotice } from '../../src/consent/notice';
import { askConsent } from '../../src/consent/prompt';
import { resolveConsent } from '../../src/consent/resolve';
import { ensureInstallId, readUserConfig, updateUserConfig, updateUserConfigDetailed } from '../../src/consent/user-config';
import type { ToolIdentity } from '../../src/resource/tool';
import { makeConfigReadOnly, makeSandbox, type Sandbox } from './sandbox';

const tool = (options: ToolIdentity['options'] = {}): ToolIdentity => ({ name: 'fixture-tool', version: '1.0.0', options, problems: [] });

let sb: Sandbox;
beforeEach(() => {
  sb = makeSandbox();
  _resetNoticeState();
});
afterEach(() => sb.cleanup());

function sink() {
  const chunks: string[] = [];
  return { chunks, write: (s: string) => chunks.push(s), text: () => chunks.join('') };
}

describe('user config', () => {
  it('writes atomically with 0600 file and 0700 dir, keeps other keys', () => {
    expect(updateUserConfig(sb.env, (c) => { c.installId = 'id-1'; })).toBe(true);
    expect(updateUserConfig(sb.env, (c) => { c.tools = { x: { level: 'off' } }; })).toBe(true);
    const read = readUserConfig(sb.env);
    expect(read).toMatchObject({ ok: true, exists: true, config: { installId: 'id-1', tools: { x: { level: 'off' } }, v: 1 } });
    expect(fs.statSync(sb.userConfigFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(sb.userConfigFile)).mode & 0o777).toBe(0o700);
    // no temp files left behind
    expect(fs.readdirSync(path.dirname(sb.userConfigFile))).toEqual(['config.json']);
  });
  it('a corrupt file is left alone by the preload form and backed up by the CLI form', () => {
    sb.writeUserConfig('{ not json');
    expect(readUserConfig(sb.env)).toMatchObject({ ok: false, error: 'not valid JSON' });
    expect(updateUserConfig(sb.env, (c) => { c.installId = 'x'; })).toBe(false);
    expect(fs.readFileSync(sb.userConfigFile, 'utf8')).toBe('{ not json');
    const w = updateUserConfigDetailed(sb.env, (c) => { c.installId = 'x'; }, { onCorrupt: 'backup' });
    expect(w.ok).toBe(true);
    const files = fs.readdirSync(path.dirname(sb.userConfigFile));
    const aside = files.find((f) => f.startsWith('config.json.corrupt-'));
    expect(aside).toBeDefined();
    expect(fs.readFileSync(path.join(path.dirname(sb.userConfigFile), aside as string), 'utf8')).toBe('{ not json');
  });
  it('a config dir blocked by a file fails with a reason, never throws', () => {
    fs.mkdirSync(sb.configHome, { recursive: true });
    fs.writeFileSync(path.join(sb.configHome, 'devtool-telemetry'), 'in the way');
    const w = updateUserConfigDetailed(sb.env, () => {});
    expect(w.ok).toBe(false);
    expect(updateUserConfig(sb.env, () => {})).toBe(false);
    expect(ensureInstallId(sb.env)).toBeUndefined();
  });
  it('a read-only config dir fails with permission denied', () => {
    const ro = makeConfigReadOnly(sb);
    const w = updateUserConfigDetailed(sb.env, () => {});
    ro.restore();
    expect(w.ok).toBe(false);
    expect(w.ok ? '' : w.error).toMatch(/permission denied .*\((EACCES|EPERM)\)/);
  });
  it('ensureInstallId creates one id and keeps it', () => {
    const a = ensureInstallId(sb.env);
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(ensureInstallId(sb.env)).toBe(a);
  });
});

describe('first-run notice', () => {
  it('is shown once per tool per user, on the given stderr sink, and stores an install id', () => {
    const d = resolveConsent({ env: sb.env, cwd: sb.cwd, tool: tool() });
    const err = sink();
    maybeShowNotice(d, tool(), sb.env, err);
    expect(err.text()).toMatch(/fixture-tool collects anonymous telemetry \(level usage\)/);
    expect(err.text()).toMatch(/FIXTURE_TOOL_TELEMETRY_DISABLED=1/);
    expect(err.text()).toMatch(/DO_NOT_TRACK=1/);
    expect(d.installId).toMatch(/^[0-9a-f-]{36}$/);
    const cfg = readUserConfig(sb.env);
    expect(cfg.ok && cfg.config.tools?.['fixture-tool']?.noticeShownAt).toBeTruthy();
    expect(cfg.ok && cfg.config.installId).toBe(d.installId);

    // Same process again: nothing. A new process (state reset): still nothing, it is recorded.
    maybeShowNotice(d, tool(), sb.env, err);
    _resetNoticeState();
    const d2 = resolveConsent({ env: sb.env, cwd: sb.cwd, tool: tool() });
    const err2 = sink();
    maybeShowNotice(d2, tool(), sb.env, err2);
    expect(err2.text()).toBe('');
    expect(err.chunks).toHaveLength(1);
    // Another tool gets its own notice.
    const other: ToolIdentity = { name: 'other-tool', options: { docsUrl: 'https://example.test/telemetry' }, problems: [] };
    const err3 = sink();
    maybeShowNotice(resolveConsent({ env: sb.env, cwd: sb.cwd, tool: other }), other, sb.env, err3);
    expect(err3.text()).toMatch(/other-tool .*\n[\s\S]*https:\/\/example\.test\/telemetry/);
  });
  it('is not shown when telemetry is off', () => {
    sb.env.DO_NOT_TRACK = '1';
    const err = sink();
    maybeShowNotice(resolveConsent({ env: sb.env, cwd: sb.cwd, tool: tool() }), tool(), sb.env, err);
    expect(err.text()).toBe('');
    expect(fs.existsSync(sb.userConfigFile)).toBe(false);
  });
  it('in CI: one line every run, nothing written', () => {
    sb.env.CI = '1';
    for (let i = 0; i < 2; i++) {
      _resetNoticeState();
      const err = sink();
      maybeShowNotice(resolveConsent({ env: sb.env, cwd: sb.cwd, tool: tool() }), tool(), sb.env, err);
      expect(err.text().trimEnd().split('\n')).toHaveLength(1);
      expect(err.text()).toMatch(/throwaway ids in CI/);
    }
    expect(fs.existsSync(sb.userConfigFile)).toBe(false);
  });
  it('when the record cannot be written: not shown, the run stays off, silently', () => {
    const ro = makeConfigReadOnly(sb);
    try {
      const d = resolveConsent({ env: sb.env, cwd: sb.cwd, tool: tool() });
      expect(d.level).toBe('usage'); // nothing stored yet: the default would apply
      const err = sink();
      expect(maybeShowNotice(d, tool(), sb.env, err)).toBe(false);
      expect(maybeShowNotice(d, tool(), sb.env, err)).toBe(false);
      expect(err.chunks).toHaveLength(0);
      expect(d.installId).toBeUndefined();
    } finally {
      ro.restore();
    }
  });
  it('a config dir blocked by a file: the resolver says off and why', () => {
    fs.mkdirSync(sb.configHome, { recursive: true });
    fs.writeFileSync(path.join(sb.configHome, 'devtool-telemetry'), 'in the way');
    const d = resolveConsent({ env: sb.env, cwd: sb.cwd, tool: tool() });
    expect(d.level).toBe('off');
    expect(d.reports.find((r) => r.decided)?.problem).toMatch(/not a directory/);
  });
  it('a throwing sink never escapes', () => {
    const d = resolveConsent({ env: sb.env, cwd: sb.cwd, tool: tool() });
    expect(() => maybeShowNotice(d, tool(), sb.env, { write: () => { throw new Error('EPIPE'); } })).not.toThrow();
  });
});

describe('agent detection', () => {
  const table: Array<[NodeJS.ProcessEnv, string | undefined]> = [
    [{}, undefined], [{ CLAUDECODE: '1' }, 'claude'], [{ CLAUDE_CODE: 'x' }, 'claude'], [{ CURSOR_TRACE_ID: 'abc' }, 'cursor'],
    [{ CURSOR_AGENT: '1' }, 'cursor-cli'], [{ GEMINI_CLI: '1' }, 'gemini'], [{ CODEX_SANDBOX: 'seatbelt' }, 'codex'], [{ CODEX_CI: '1' }, 'codex'],
    [{ CODEX_THREAD_ID: 't' }, 'codex'], [{ ANTIGRAVITY_AGENT: '1' }, 'antigravity'], [{ AUGMENT_AGENT: '1' }, 'augment'],
    [{ OPENCODE_CLIENT: 'x' }, 'opencode'], [{ REPL_ID: 'r' }, 'replit'], [{ COPILOT_MODEL: 'gpt' }, 'github-copilot'],
    [{ COPILOT_ALLOW_ALL: '1' }, 'github-copilot'], [{ AI_AGENT: 'Devin' }, 'devin'], [{ AI_AGENT: 'my secret agent name' }, 'other'],
    [{ CLAUDECODE: '' }, undefined],
  ];
  it.each(table)('%j -> %s', (env, want) => {
    expect(detectAgent(env)).toBe(want);
  });
});

describe('prompt mode', () => {
  function tty(isTTY: boolean) {
    const input = new PassThrough() as PassThrough & { isTTY?: boolean };
    const output = new PassThrough() as PassThrough & { isTTY?: boolean };
    input.isTTY = isTTY;
    output.isTTY = isTTY;
    let asked = '';
    output.on('data', (c) => { asked += c.toString(); });
    return { input, output, asked: () => asked };
  }
  const promptTool = tool({ prompt: true });

  it('never asks without a TTY', async () => {
    const t = tty(false);
    const r = await askConsent({ tool: promptTool, env: sb.env, cwd: sb.cwd, input: t.input, output: t.output });
    expect(r).toMatchObject({ asked: false, granted: false, reason: 'no-tty' });
    expect(t.asked()).toBe('');
    expect(fs.existsSync(sb.userConfigFile)).toBe(false);
  });
  it('never asks in CI or under an agent', async () => {
    for (const [k, reason] of [['CI', 'ci'], ['CLAUDECODE', 'agent']] as const) {
      const t = tty(true);
      const r = await askConsent({ tool: promptTool, env: { ...sb.env, [k]: '1' }, cwd: sb.cwd, input: t.input, output: t.output });
      expect(r).toMatchObject({ asked: false, reason });
      expect(t.asked()).toBe('');
    }
  });
  it('asks on a TTY, stores yes, then the resolver enables the tool and never asks again', async () => {
    const t = tty(true);
    const p = askConsent({ tool: promptTool, env: sb.env, cwd: sb.cwd, input: t.input, output: t.output });
    setTimeout(() => t.input.write('y\n'), 20);
    expect(await p).toMatchObject({ asked: true, granted: true, stored: true, reason: 'answered-yes' });
    expect(t.asked()).toMatch(/\[y\/N\]/);
    expect(resolveConsent({ env: sb.env, cwd: sb.cwd, tool: promptTool })).toMatchObject({ level: 'usage', source: 'user:tool:fixture-tool' });
    const again = tty(true);
    expect(await askConsent({ tool: promptTool, env: sb.env, cwd: sb.cwd, input: again.input, output: again.output })).toMatchObject({ asked: false, reason: 'already-decided', granted: true });
  });
  it('no answer (timeout) means no, and is stored', async () => {
    const t = tty(true);
    const r = await askConsent({ tool: promptTool, env: sb.env, cwd: sb.cwd, input: t.input, output: t.output, timeoutMs: 50 });
    expect(r).toMatchObject({ asked: true, granted: false, reason: 'no-answer' });
    expect(resolveConsent({ env: sb.env, cwd: sb.cwd, tool: promptTool })).toMatchObject({ level: 'off', source: 'user:tool:fixture-tool' });
  });
  it('end of input and anything but yes mean no', async () => {
    const t = tty(true);
    const p = askConsent({ tool: promptTool, env: sb.env, cwd: sb.cwd, input: t.input, output: t.output });
    setTimeout(() => t.input.end(), 20);
    expect(await p).toMatchObject({ asked: true, granted: false, reason: 'no-answer' });
    sb.cleanup();
    sb = makeSandbox();
    const t2 = tty(true);
    const p2 = askConsent({ tool: promptTool, env: sb.env, cwd: sb.cwd, input: t2.input, output: t2.output });
    setTimeout(() => t2.input.write('sure\n'), 20);
    expect(await p2).toMatchObject({ asked: true, granted: false, reason: 'answered-no' });
  });
  it('never asks when an opt-out is already in force', async () => {
    const t = tty(true);
    const r = await askConsent({ tool: promptTool, env: { ...sb.env, DO_NOT_TRACK: '1' }, cwd: sb.cwd, input: t.input, output: t.output });
    expect(r).toMatchObject({ asked: false, reason: 'already-decided', granted: false });
  });
});
