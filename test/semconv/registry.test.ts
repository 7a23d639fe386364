// Our own semantic-convention registry (model/): generated from the catalog (drift fails), valid
// against the registry format's JSON schemas from ../shared/semconv/schemas, depending on the
// official registry, and complete: every name we emit is defined either there or here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import * as catalog from '../../src/privacy/catalog';
import * as signals from '../../src/privacy/signals';
// @ts-expect-error: plain ESM script without types
import { MODEL_DIR, OFFICIAL, render } from '../../scripts/gen-registry.mjs';
import { loadOfficialRegistry, ROOT, semconvDir } from './official-registry';

const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
const files = render(catalog, signals, version) as Record<string, string>;
const schemas = path.join(semconvDir(), 'schemas');

function schema(name: string): Record<string, any> {
  const s = JSON.parse(fs.readFileSync(path.join(schemas, name), 'utf8'));
  // weaver (de)serializes SchemaUrl as a plain string (crates/weaver_semconv/src/schema_url.rs, and the
  // official model/manifest.yaml writes it so), while its derived JSON schema describes the Rust struct
  // `{ url }`. Validate the form weaver reads: a URL with a path ending in a version segment.
  if (s.$defs?.SchemaUrl) s.$defs.SchemaUrl = { type: 'string', pattern: '^https?://[^/\\s]+(/[^/\\s]+)*/[^/\\s]+$' };
  return s;
}

function validator(name: string) {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  return ajv.compile(schema(name));
}

const read = (rel: string) => parse(fs.readFileSync(path.join(MODEL_DIR, rel), 'utf8'));

describe('model/ (our semantic-convention registry)', () => {
  it('matches the catalog (run `npm run telemetry:md` after changing it)', () => {
    for (const [rel, text] of Object.entries(files)) {
      expect(fs.readFileSync(path.join(MODEL_DIR, rel), 'utf8'), `model/${rel}`).toBe(text);
    }
    const onDisk = fs.readdirSync(MODEL_DIR, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(MODEL_DIR, path.join(e.parentPath, e.name)));
    expect(onDisk.sort()).toEqual(Object.keys(files).sort());
  });

  it('the manifest is a valid definition manifest that depends on the official registry', () => {
    const validate = validator('definition-manifest.v2.json');
    const manifest = read('registry_manifest.yaml');
    expect(validate(manifest), JSON.stringify(validate.errors)).toBe(true);
    expect(manifest.dependencies).toEqual([OFFICIAL]);
    expect(OFFICIAL.schema_url).toBe(`https://opentelemetry.io/schemas/${loadOfficialRegistry().version}`);
    expect(manifest.schema_url).toMatch(new RegExp(`/${version.replace(/\./g, '\\.')}$`));
  });

  it.each(Object.keys(files).filter((f) => f !== 'registry_manifest.yaml'))('%s is a valid definition file', (rel) => {
    const validate = validator('semconv.schema.v2.json');
    const doc = read(rel);
    expect(doc.file_format).toBe('definition/2');
    expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
  });

  it('the schema check can fail: a broken definition is refused', () => {
    const validate = validator('semconv.schema.v2.json');
    const doc = read('devtool/metrics.yaml');
    doc.metrics[0].instrument = 'meter';
    expect(validate(doc)).toBe(false);
  });

  it('defines every devtool.* attribute and metric, with the catalog types and units', () => {
    const attrs = new Map<string, any>(read('devtool/registry.yaml').attributes.map((a: any) => [a.key, a]));
    for (const s of catalog.CATALOG.filter((x) => x.key.startsWith('devtool.'))) {
      const a = attrs.get(s.key);
      expect(a, s.key).toBeDefined();
      if (s.rule.kind === 'enum') expect(a.type.members.map((m: any) => m.value), s.key).toEqual([...s.rule.values]);
      else expect(a.type, s.key).toBe(s.type);
    }
    expect(attrs.size).toBe(catalog.CATALOG.filter((x) => x.key.startsWith('devtool.')).length);
    const metrics = new Map<string, any>(read('devtool/metrics.yaml').metrics.map((m: any) => [m.name, m]));
    for (const m of catalog.METRICS.filter((x) => x.name.startsWith('devtool.'))) {
      expect(metrics.get(m.name), m.name).toMatchObject({ instrument: m.instrument, unit: m.unit });
      expect(metrics.get(m.name).attributes.map((a: any) => a.ref)).toEqual([...m.attributes]);
    }
  });

  it('nothing we can emit is unknown to the official registry plus ours', () => {
    const official = loadOfficialRegistry();
    const ourAttrs = new Set(read('devtool/registry.yaml').attributes.map((a: any) => a.key));
    const ourMetrics = new Set(read('devtool/metrics.yaml').metrics.map((m: any) => m.name));
    const unknown = [
      ...catalog.CATALOG.map((s) => s.key).filter((k) => !official.attributes.has(k) && !ourAttrs.has(k)),
      ...catalog.METRICS.map((m) => m.name).filter((n) => !official.metrics.has(n) && !ourMetrics.has(n)),
    ];
    expect(unknown).toEqual([]);
    // Span refs point at defined attributes too.
    for (const s of read('devtool/spans.yaml').spans) {
      for (const a of s.attributes) expect(official.attributes.has(a.ref) || ourAttrs.has(a.ref), `${s.type}: ${a.ref}`).toBe(true);
    }
  });

  it('the command span carries what the CLI conventions require', () => {
    const official = fs.readFileSync(path.join(semconvDir(), 'model', 'cli', 'spans.yaml'), 'utf8');
    const required = parse(official).groups.find((g: any) => g.id === 'attributes.cli.common').attributes.filter((a: any) => a.requirement_level === 'required').map((a: any) => a.ref);
    const command = read('devtool/spans.yaml').spans.find((s: any) => s.type === 'devtool.command');
    const ours = command.attributes.filter((a: any) => a.requirement_level === 'required').map((a: any) => a.ref);
    for (const r of required) expect(ours, r).toContain(r);
  });
});
