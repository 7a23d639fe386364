/** TELEMETRY.md is generated from the catalog; any drift (catalog changed, file not regenerated) fails. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as catalog from '../../src/privacy/catalog';
// @ts-expect-error: plain ESM script without types
import { render } from '../../scripts/gen-telemetry-md.mjs';

const file = path.join(__dirname, '../../TELEMETRY.md');

describe('TELEMETRY.md', () => {
  const text = fs.readFileSync(file, 'utf8');

  it('matches the catalog (run `npm run telemetry:md` after changing it)', () => {
    expect(text).toBe(render(catalog));
  });

  it('lists every catalog key and metric, what is never collected, and every opt-out', () => {
    for (const s of catalog.CATALOG) expect(text, s.key).toContain('`' + s.key + '`');
    for (const m of catalog.METRICS) expect(text, m.name).toContain('`' + m.name + '`');
    for (const n of catalog.NEVER_COLLECTED) expect(text).toContain(n);
    for (const o of ['DO_NOT_TRACK=1', 'DEVTOOL_TELEMETRY_DISABLED=1', '_TELEMETRY_DISABLED=1', 'OTEL_SDK_DISABLED=true', 'devtool-telemetry disable', '.devtool-telemetry.json', '{"telemetry": "off"}', '/etc/devtool-telemetry/policy.json']) {
      expect(text, o).toContain(o);
    }
  });

  it('a catalog change shows up as drift', () => {
    const changed = { ...catalog, CATALOG: catalog.CATALOG.slice(1) };
    expect(render(changed)).not.toBe(text);
  });
});
