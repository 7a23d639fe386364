// Every OpenTelemetry-namespace name we can emit (the catalog's keys and metrics, the semconv.ts
// constants) checked against the official registry YAML: it exists, is not deprecated (the GenAI
// move aside), has the catalog's type, and metrics have the registry's unit and instrument kind.
// A rename or retype upstream, or a typo here, fails this test.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG, METRICS, type AttributeSpec } from '../../src/privacy/catalog';
import * as sc from '../../src/privacy/semconv';
import { loadOfficialRegistry, movedNotDeprecated, ROOT } from './official-registry';

const reg = loadOfficialRegistry();
const ours = (name: string) => name.startsWith('devtool.');

/**
 * Deprecated names the sanitizer still lets through from older third-party instrumentations. Our
 * own code never sets them (checked below); each must stay deprecated upstream with this successor.
 */
const ACCEPTED_LEGACY: Record<string, string> = {
  'gen_ai.system': 'gen_ai.provider.name',
  'gen_ai.prompt': 'gen_ai.input.messages',
  'gen_ai.completion': 'gen_ai.output.messages',
};

const TYPE_OK: Record<AttributeSpec['type'], string[]> = {
  // `any`: the GenAI content attributes are structured; on spans the conventions allow a JSON string.
  string: ['string', 'enum:string', 'any'],
  int: ['int', 'enum:int'],
  double: ['double'],
  boolean: ['boolean'],
  'string[]': ['string[]'],
  'int[]': ['int[]'],
};

const otelAttributes = CATALOG.filter((s) => !ours(s.key));
const otelMetrics = METRICS.filter((m) => !ours(m.name));

describe(`catalog names against the official registry ${reg.version}`, () => {
  it('the registry was read (not an empty folder)', () => {
    expect(reg.attributes.size).toBeGreaterThan(500);
    expect(reg.metrics.size).toBeGreaterThan(100);
    expect(otelAttributes.length).toBeGreaterThan(30);
  });

  it.each(otelAttributes.map((s) => [s.key, s] as const))('attribute %s exists, with our type, not deprecated', (key, spec) => {
    const r = reg.attributes.get(key);
    expect(r, `${key} is not in the registry`).toBeDefined();
    expect(TYPE_OK[spec.type], `${key}: registry type ${r!.type} (${r!.file})`).toContain(r!.type);
    if (key in ACCEPTED_LEGACY) {
      expect(r!.deprecated, `${key} is listed as legacy but is not deprecated`).toBeDefined();
      expect(spec.description).toMatch(/deprecated|legacy/i);
    } else if (r!.deprecated && !movedNotDeprecated(r!.deprecated)) {
      throw new Error(`${key} is deprecated in ${r!.file}: ${JSON.stringify(r!.deprecated)}`);
    }
    // A closed value list of ours must use the registry's members where it defines some.
    if (r!.members && spec.rule.kind === 'enum') {
      for (const v of spec.rule.values) expect(r!.members, `${key}=${v}`).toContain(v);
    }
  });

  it.each(otelMetrics.map((m) => [m.name, m] as const))('metric %s exists with our unit and instrument kind', (name, m) => {
    const r = reg.metrics.get(name);
    expect(r, `${name} is not in the registry`).toBeDefined();
    expect(r!.unit, name).toBe(m.unit);
    expect(r!.instrument, name).toBe(m.instrument);
    if (r!.deprecated && !movedNotDeprecated(r!.deprecated)) throw new Error(`${name} is deprecated: ${JSON.stringify(r!.deprecated)}`);
  });

  it('every semconv.ts constant names a registry attribute or metric', () => {
    const missing: string[] = [];
    for (const [k, v] of Object.entries(sc)) {
      if (typeof v !== 'string') continue;
      if (k.startsWith('ATTR_') && !reg.attributes.has(v)) missing.push(`${k}=${v}`);
      if (k.startsWith('METRIC_') && !reg.metrics.has(v)) missing.push(`${k}=${v}`);
    }
    expect(missing).toEqual([]);
  });

  it('legacy names stay deprecated upstream with the successor we emit, and our code never sets them', () => {
    for (const [legacy, successor] of Object.entries(ACCEPTED_LEGACY)) {
      expect(reg.attributes.get(legacy)?.deprecated, legacy).toBeDefined();
      expect(reg.attributes.has(successor), successor).toBe(true);
      expect(CATALOG.some((s) => s.key === successor), successor).toBe(true);
    }
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.includes(`${path.sep}privacy${path.sep}`)) {
          const text = fs.readFileSync(p, 'utf8');
          for (const legacy of Object.keys(ACCEPTED_LEGACY)) if (text.includes(`'${legacy}'`)) offenders.push(`${path.relative(ROOT, p)}: ${legacy}`);
        }
      }
    };
    walk(path.join(ROOT, 'src'));
    expect(offenders).toEqual([]);
  });

  it('our own names never take an OpenTelemetry namespace the registry defines', () => {
    // devtool.* only where no convention exists: none of ours shadows a registry name.
    const shadow = [...CATALOG.map((s) => s.key), ...METRICS.map((m) => m.name)].filter(ours).filter((n) => reg.attributes.has(n) || reg.metrics.has(n));
    expect(shadow).toEqual([]);
  });
});
