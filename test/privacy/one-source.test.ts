/**
 * One source for the secret rules of the SDK and of the collector (issue 13, item 17), and one catalog for
 * the keys the collector accepts (item 18): drift tests.
 * - src/privacy/secret-rules.json is read by the SDK (patterns.ts) and rendered into every shipped
 *   collector config; every rule in it has a vector in test/fixtures/secrets/shared-vectors.json, which
 *   the SDK runs here and the collector's Go tests run against the shipped otel-collector.yaml.
 * - the collector's registry of accepted keys (allowed-keys.txt, embedded in the processor) is generated
 *   from the catalog and must equal it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import vectors from '../fixtures/secrets/shared-vectors.json';
import RULES from '../../src/privacy/secret-rules.json';
import { CATALOG } from '../../src/privacy/catalog';
import { replacePaths } from '../../src/privacy/paths';
import { createSanitizer } from '../../src/privacy/sanitize';
// @ts-expect-error: plain ESM script without types
import { ALLOWED_KEYS_FILE, allowedKeysText, entropyConfig, tokenRules } from '../../scripts/collector-config-gen.mjs';

const ROOT = path.join(__dirname, '../..');
const s = createSanitizer({ level: 'full' });
const shipped = (f: string) => YAML.parse(fs.readFileSync(path.join(ROOT, f), 'utf8').replace(/\$\$/g, '$')).processors.devtool_redact;
const CONFIGS = ['otel-collector.yaml', 'collector-config/agent.yaml', 'collector-config/gateway.yaml'];

describe('one source for the secret rules', () => {
  it('every vendor prefix and AWS prefix of the source has a vector (so both sides test every rule)', () => {
    for (const v of RULES.vendorPrefixes) {
      const re = new RegExp(`^${v.prefix}${v.head ?? ''}`);
      expect(vectors.secrets.some((x) => re.test(x)), `${v.name} (${v.prefix}) has no vector`).toBe(true);
    }
    for (const p of RULES.awsKeyIds.prefixes) expect(vectors.secrets.some((x) => x.startsWith(p)), p).toBe(true);
  });

  it('the SDK replaces every vector secret and keeps every innocent vector', () => {
    for (const sec of vectors.secrets) {
      for (const wrap of ['%s', 'a %s b', 'key=%s', '(%s)', '"%s"']) {
        const out = s.text(wrap.replace('%s', sec));
        expect(out, `${sec} -> ${out}`).not.toContain(sec);
      }
    }
    for (const k of vectors.kept) {
      expect(s.text(k)).toBe(k);
      expect(s.spanName(k)).toBe(k);
    }
  });

  it('the SDK path scanner matches the shared path vectors', () => {
    for (const [input, want] of vectors.paths.replaced) expect(replacePaths(input!), input).toBe(want);
    for (const k of vectors.paths.kept) expect(replacePaths(k)).toBe(k);
  });

  it('the SDK has no secret prefix of its own: patterns.ts builds them from the source', () => {
    const src = fs.readFileSync(path.join(ROOT, 'src/privacy/patterns.ts'), 'utf8');
    for (const v of RULES.vendorPrefixes) expect(src.includes(`'${v.prefix}`), v.prefix).toBe(false);
    for (const p of RULES.awsKeyIds.prefixes) expect(src.includes(p), p).toBe(false);
  });

  it.each(CONFIGS)('%s carries the rules and entropy thresholds of the source', (f) => {
    const red = shipped(f);
    const rendered = tokenRules();
    expect(rendered).toHaveLength(2);
    for (const r of rendered) expect(red.rules).toContainEqual(r);
    for (const v of RULES.vendorPrefixes) expect(rendered[0].pattern).toContain(v.prefix);
    expect(red.entropy).toEqual(entropyConfig());
    expect(red.entropy.min_length).toBe(RULES.entropy.minLength);
    expect(red.path_placeholder).toBe('{path}');
  });
});

describe('one catalog for the keys the collector accepts', () => {
  it('allowed-keys.txt is generated from the catalog and up to date', () => {
    expect(fs.readFileSync(ALLOWED_KEYS_FILE, 'utf8')).toBe(allowedKeysText());
    const listed = new Map(
      fs.readFileSync(ALLOWED_KEYS_FILE, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(' ') as [string, string]),
    );
    expect([...listed.keys()].sort()).toEqual([...new Set(CATALOG.map((a) => a.key))].sort());
    for (const a of CATALOG) expect(listed.get(a.key), a.key).toBe(a.rule.kind);
  });

  it('the generator check fails on drift', () => {
    const backup = fs.readFileSync(ALLOWED_KEYS_FILE, 'utf8');
    const gen = path.join(ROOT, 'scripts/collector-config-gen.mjs');
    try {
      fs.writeFileSync(ALLOWED_KEYS_FILE, backup.replace(/^service\.name .*\n/m, ''));
      const r = spawnSync(process.execPath, [gen, '--check'], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('allowed-keys.txt');
    } finally {
      fs.writeFileSync(ALLOWED_KEYS_FILE, backup);
    }
    expect(spawnSync(process.execPath, [gen, '--check'], { encoding: 'utf8' }).status).toBe(0);
  });

  it.each(CONFIGS)('%s drops unknown keys by default and lets operators widen the registry', (f) => {
    const red = shipped(f);
    expect(red.allowed_keys.enabled).toBe(true);
    expect(red.allowed_keys.extra_patterns).toEqual(['^devtool\\.feature\\.[a-z0-9_.]+$']);
  });
});
