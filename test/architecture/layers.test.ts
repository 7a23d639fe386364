/**
 * The layout's rules, checked on the import graph of src/ (README "Layout"):
 * - model/ imports nothing above it; settings/ only the model; storage/ only settings and model;
 *   privacy/ only the model (its purity in detail: test/privacy/purity.test.ts).
 * - shipper/ runs only in the detached shipper: nothing outside it imports it. What the tool's
 *   process and the shipper share (layout, writer, reader, lock, start records) lives in spool/,
 *   and spool/ imports neither shipper/ nor recorder/.
 * - The preload (entry/preload.ts) loads, with telemetry off, only the gate: tool identity,
 *   consent, settings and storage. The recorder and everything else sit behind the runtime bundle.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allEdges, area, closure, type Edge } from '../support/import-graph';

const edges = allEdges();
const crossing = (pred: (e: Edge) => boolean) => edges.filter((e) => area(e.from) !== area(e.to) && pred(e)).map((e) => `${e.from} -> ${e.to}`);

describe('layers', () => {
  it('sees the graph (a parser that found nothing would pass every rule)', () => {
    expect(edges.length).toBeGreaterThan(150);
    expect(edges.some((e) => e.from === 'recorder/emit.ts' && e.to === 'spool/spool.ts' && e.lazy)).toBe(true);
  });

  it.each([
    ['model', []],
    ['settings', ['model']],
    ['storage', ['settings', 'model']],
    ['privacy', ['model']],
  ])('%s/ imports only %j', (low, allowed) => {
    expect(crossing((e) => area(e.from) === low && !(allowed as string[]).includes(area(e.to)))).toEqual([]);
  });

  it('nothing outside shipper/ imports it: it runs only in the detached process', () => {
    expect(crossing((e) => area(e.to) === 'shipper')).toEqual([]);
  });

  it('spool/ (shared by both processes) imports neither shipper/ nor recorder/', () => {
    expect(crossing((e) => area(e.from) === 'spool' && ['shipper', 'recorder', 'instrument'].includes(area(e.to)))).toEqual([]);
  });

  it('the recorder never imports the shipper', () => {
    expect(crossing((e) => area(e.from) === 'recorder' && area(e.to) === 'shipper')).toEqual([]);
  });

  it('the preload, with telemetry off, loads the gate only: the runtime bundle is the boundary', () => {
    const loaded = closure('entry/preload.ts', (e) => e.to === 'entry/runtime.ts');
    const areas = new Set([...loaded].map(area));
    for (const heavy of ['recorder', 'instrument', 'shipper', 'spool', 'privacy', 'session', 'features', 'api', 'cli']) {
      const inside = [...loaded].filter((f) => area(f) === heavy && f !== path.join('recorder', 'current.ts'));
      expect(inside, `${heavy}/ reached from the preload`).toEqual([]);
    }
    expect(areas).toContain('consent');
    expect(loaded).toContain('entry/code-cache.ts');
  });
});
