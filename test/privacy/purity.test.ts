/**
 * Dependency rule: the catalog and the sanitizer are pure. They import nothing but each other and
 * src/model/records.ts (and the rules data in ./secret-rules.json): no node: built-ins (no I/O), no npm packages (no OpenTelemetry SDK), no lazy require.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = path.join(__dirname, '../../src/privacy');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));

describe('privacy modules are pure', () => {
  it('exist', () => {
    for (const f of ['catalog.ts', 'sanitize.ts', 'sanitizer-state.ts', 'attribute-table.ts', 'span-records.ts', 'metric-records.ts', 'semconv.ts', 'patterns.ts', 'rules.ts', 'url.ts', 'paths.ts']) expect(files).toContain(f);
  });
  it.each(files)('%s imports only ./privacy modules and ../model', (f) => {
    const src = fs.readFileSync(path.join(dir, f), 'utf8');
    const specs = [...src.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]);
    for (const s of specs) expect(s, `${f} imports ${s}`).toMatch(/^(?:\.\/[a-z-]+|\.\/secret-rules\.json|\.\.\/model\/[a-z-]+)$/);
    expect(src).not.toMatch(/\brequire\s*\(/);
    expect(src).not.toMatch(/(?<!['.])\bprocess\.(?:env|argv|cwd|exit|on|platform|stdout|stderr|hrtime)\b(?!\.)|\bglobalThis\b|\bDate\.now\b|Math\.random/);
  });
});
