/**
 * Issue 12, items 3 and 4: a word names the span (and `devtool.command.name`, and the metric label)
 * only when the tool declared it, or, for a tool that declares nothing, when it is a common CLI
 * verb that is not an existing path. Flags are recorded as names only: never an attached value.
 * Unit cases on argvShape, then real processes preloaded through NODE_OPTIONS.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argvShape, COMMON_VERBS, flagName, MAX_FLAGS } from '../../src/recorder/argv';
import { createSanitizer } from '../../src/privacy/sanitize';
import { FIXTURES_DIR, linkPackage } from '../support/run-fixture';
import { harnessPerFile, runAndCollect } from './helpers';

let cwd: string;
beforeAll(() => {
  // A project folder with a `test` directory and a `build` file of its own.
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'naming-'));
  fs.mkdirSync(path.join(cwd, 'test'));
  fs.writeFileSync(path.join(cwd, 'build'), '');
});
afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

describe('argvShape: subcommand', () => {
  const sub = (args: string[], declared?: string[]) => argvShape(args, declared, cwd).subcommand;

  it('free words and paths never name the span (no declaration)', () => {
    expect(sub(['client-portal'])).toBeUndefined(); // eslint client-portal
    expect(sub(['src', '--check'])).toBeUndefined(); // prettier src --check
    expect(sub(['changelog'])).toBeUndefined(); // markdown-it changelog
    expect(sub(['hello'])).toBeUndefined(); // figlet hello
    expect(sub(['./deploy'])).toBeUndefined();
    expect(sub(['/home/alice/x'])).toBeUndefined();
    expect(sub(['Build'])).toBeUndefined(); // the list is exact
  });

  it('a common verb names it, only when it is not an existing path', () => {
    expect(sub(['install'])).toBe('install');
    expect(sub(['lint', 'src'])).toBe('lint');
    expect(sub(['test'])).toBeUndefined(); // `test/` exists here: `eslint test` lints a folder
    expect(sub(['build'])).toBeUndefined(); // a file named build exists here
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'naming-empty-'));
    expect(argvShape(['build'], undefined, empty).subcommand).toBe('build'); // no such path there
    fs.rmSync(empty, { recursive: true });
  });

  it('only the first positional, never a later one: npm run deploy-acme is `run`', () => {
    expect(sub(['run', 'deploy-acme'])).toBe('run');
    expect(sub(['run', 'deploy'])).toBe('run');
    expect(sub(['my-app', 'deploy'])).toBeUndefined();
  });

  it('a word right after a bare flag may be its value: not named', () => {
    expect(sub(['--config', 'build'])).toBeUndefined();
    expect(sub(['--config=x.json', 'install'])).toBe('install');
    expect(sub(['-p8080', 'start'])).toBe('start');
  });

  it('a tool that declares words: only those, common verbs included', () => {
    expect(sub(['greet', 'Zanzibar'], ['greet'])).toBe('greet');
    expect(sub(['db:migrate'], ['greet', 'db:migrate'])).toBe('db:migrate');
    expect(sub(['install'], ['greet'])).toBeUndefined();
    expect(sub(['Zanzibar'], ['greet'])).toBeUndefined();
    // Declared words are the tool's own vocabulary, even where a same-named path exists.
    expect(sub(['test'], ['test'])).toBe('test');
  });

  it('bad declarations are ignored, never trusted', () => {
    expect(sub(['install'], [42, null, ''] as never)).toBe('install');
    expect(sub(['install'], 'install' as never)).toBe('install');
  });

  it('the built-in list holds verbs, not names', () => {
    for (const w of ['build', 'test', 'install', 'run', 'dev', 'start', 'lint', 'check', 'format', 'deploy', 'init', 'add', 'remove', 'update', 'publish']) {
      expect(COMMON_VERBS.has(w)).toBe(true);
    }
    for (const w of COMMON_VERBS) expect(w).toMatch(/^[a-z]{2,12}$/);
  });
});

describe('argvShape: flags', () => {
  const flags = (args: string[]) => argvShape(args, undefined, cwd).flags;

  it('attached values never travel: short flags are their letter, long flags are cut at =', () => {
    expect(flags(['-c-1', '-p8080', '-uadmin', '--port=8080', '--api-key=sk-123'])).toEqual(['-c', '-p', '-u', '--port', '--api-key']);
    expect(flagName('-uadmin')).toBe('-u');
    expect(flagName('--password=hunter2')).toBe('--password');
  });

  it('values and junk are not flags', () => {
    expect(flags(['-1', '-', '--', '--x'])).toEqual([]); // `--` ends the flags
    expect(flags(['-1', '--/home/alice', '--é', `--${'a'.repeat(60)}`])).toEqual([]);
  });

  it('bounded in count and length, duplicates once', () => {
    const many = Array.from({ length: 100 }, (_, i) => `--flag${i}`);
    const out = flags([...many, '-v', '-v']);
    expect(out).toHaveLength(MAX_FLAGS);
    for (const f of out) expect(f.length).toBeLessThanOrEqual(40);
    expect(flags(['-v', '-v', '-vvv'])).toEqual(['-v']);
  });

  it('the sanitizer also cuts attached values (defense in depth, older spool files)', () => {
    const s = createSanitizer({ level: 'usage' });
    expect(s.attributes('span', { 'devtool.command.flags': ['-p8080', '-uadmin', '--port=1', '-v'] })['devtool.command.flags']).toEqual(['-p', '-u', '--port', '-v']);
  });
});

describe('real processes under NODE_OPTIONS', () => {
  const h = harnessPerFile();
  const plain = path.join(FIXTURES_DIR, 'naming', 'plain-cli', 'cli.js');
  const declared = path.join(FIXTURES_DIR, 'naming', 'declared-cli', 'cli.js');
  beforeAll(() => linkPackage(path.dirname(declared)));

  const CASES: Array<[string, string, string[], string]> = [
    ['eslint client-portal', plain, ['client-portal'], 'plain-cli'],
    ['prettier src --check', plain, ['src', '--check'], 'plain-cli'],
    ['figlet hello', plain, ['hello'], 'plain-cli'],
    ['npm run deploy-acme', plain, ['run', 'deploy-acme'], 'plain-cli run'],
    ['a common verb', plain, ['install', '-p8080', '-uadmin', '-c-1', '--port=8080'], 'plain-cli install'],
    ['a common verb that is a folder here', plain, ['test'], 'plain-cli'],
    ['a declared word', declared, ['greet', 'Zanzibar-Q'], 'declared-cli greet'],
    ['a common verb the declaring tool did not declare', declared, ['install'], 'declared-cli'],
  ];

  it.each(CASES)('%s', async (_title, script, args, want) => {
    const { run, root } = await runAndCollect(h, { script, args, mode: 'node-options', cwd });
    expect(run.code).toBe(0);
    expect(root.name).toBe(want);
    expect(root.attributes['devtool.command.name']).toBe(want);
    const flags = (root.attributes['devtool.command.flags'] as string[] | undefined) ?? [];
    for (const f of flags) expect(f).toMatch(/^(-[a-zA-Z]|--[a-zA-Z][a-zA-Z0-9-]*)$/);
    // every text the span carries; numbers, timestamps and random ids are left out (a peak RSS of
    // 48558080 bytes or a random hex id may contain '8080' by chance: that is no leak)
    const sent = JSON.stringify(root, (k, v) => (typeof v === 'number' || /id$/i.test(k) || (typeof v === 'string' && /^\d+$/.test(v)) ? undefined : v));
    for (const secret of ['client-portal', 'hello', 'deploy-acme', 'Zanzibar', '8080', 'admin', '-c-1']) {
      expect(sent).not.toContain(secret);
    }
    if (args.includes('-p8080')) expect(flags).toEqual(['-p', '-u', '-c', '--port']);
    // The metric label is the same name, never the word.
    await h.receiver.waitFor(() => h.receiver.metrics().some((m) => m.name === 'devtool.command.runs' && m.points.some((p) => p.attributes['devtool.command.name'] === want)), 10_000);
    const labels = h.receiver.metrics().filter((m) => m.name === 'devtool.command.runs').flatMap((m) => m.points.map((p) => String(p.attributes['devtool.command.name'])));
    for (const l of labels) expect(l).not.toMatch(/client-portal|hello|deploy-acme|Zanzibar/);
  });
});
