// Sessions across real processes: one id shared by the runs of a tool within the idle lifetime,
// a new one after it (or after the maximum age), the parent's id when it hands one down, exact
// totals per session (even with concurrent runs), and the ended session's summary metrics.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSession as readStored, sessionFile } from '../../src/session/store';
import { ageSession } from './age';
import type { FlatMetric } from '../support/otlp-receiver';
import { e2ePerFile, histogramTotals, type E2E } from '../features/e2e';
import { currentSession, forgetSession } from '../../src/session';

const TOOL = path.join(__dirname, 'fixtures', 'session-tool');
const CLI = path.join(TOOL, 'cli.js');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function readSession(e: E2E) {
  return readStored(sessionFile(e.env, 'session-tool'))!;
}
/** Move the session's clock back: what `idleMin` minutes of idle time (and `ageMin` of age) would have done. */
function age(e: E2E, idleMin: number, ageMin = idleMin) {
  ageSession(sessionFile(e.env, 'session-tool'), idleMin, ageMin);
}
function sessionIds(e: E2E): string[] {
  return e.receiver.spans().filter((s) => s.name === 'session-tool work').map((s) => String(s.resource['session.id']));
}
function histogram(metrics: FlatMetric[], name: string) {
  const attrs = metrics.filter((m) => m.name === name).flatMap((m) => m.points.map((p) => p.attributes));
  return { ...histogramTotals(metrics, name), attrs: [...new Set(attrs.map((a) => JSON.stringify(a)))].map((a) => JSON.parse(a)) };
}

describe('sessions of several processes', () => {
  const e = e2ePerFile([TOOL]);

  it('share one session id within the idle lifetime and add up exact totals', async () => {
    for (let i = 0; i < 3; i++) expect((await e.run(CLI, ['work'])).stdout.trim()).toBe('worked');
    await e.receiver.waitFor(() => sessionIds(e).length === 3, 15_000);
    const ids = new Set(sessionIds(e));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(id).toMatch(UUID);
    const rec = readSession(e);
    expect(rec.id).toBe(id);
    expect(rec.totals).toEqual({ runs: 3, steps: 6, llmRequests: 3, tokens: 45, userInputs: 3 });
    // A session that has not ended has no summary yet.
    expect(e.receiver.metrics().some((m) => m.name.startsWith('devtool.session.'))).toBe(false);
  });

  it('counts concurrent runs exactly (the session file is locked)', async () => {
    await Promise.all(Array.from({ length: 6 }, () => e.run(CLI, ['work'])));
    await e.receiver.waitFor(() => sessionIds(e).length === 9, 20_000);
    expect(new Set(sessionIds(e)).size).toBe(1);
    expect(readSession(e).totals).toEqual({ runs: 9, steps: 18, llmRequests: 9, tokens: 135, userInputs: 9 });
  });

  it('ends after 30 idle minutes: a new id, and the ended session summarized as metrics', async () => {
    const before = readSession(e);
    age(e, 31, 45);
    e.receiver.reset();
    await e.run(CLI, ['work']);
    await e.receiver.waitFor(() => sessionIds(e).length === 1 && e.receiver.metrics().some((m) => m.name === 'devtool.session.runs'), 15_000);
    const [newId] = sessionIds(e);
    expect(newId).toMatch(UUID);
    expect(newId).not.toBe(before.id);
    const m = e.receiver.metrics();
    expect(histogram(m, 'devtool.session.runs')).toEqual({ count: 1, sum: 9, attrs: [{}] });
    expect(histogram(m, 'devtool.session.steps').sum).toBe(18);
    expect(histogram(m, 'devtool.session.llm_requests').sum).toBe(9);
    expect(histogram(m, 'devtool.session.tokens').sum).toBe(135);
    expect(histogram(m, 'devtool.session.user_inputs').sum).toBe(9);
    const duration = histogram(m, 'devtool.session.duration');
    expect(duration.count).toBe(1);
    // started 45 min ago, last seen 31 min ago: about 14 minutes
    expect(duration.sum).toBeGreaterThan(13 * 60);
    expect(duration.sum).toBeLessThan(15 * 60);
    // The session id is never a metric label (bounded cardinality)...
    expect(JSON.stringify(m)).not.toContain(before.id);
    // ...only the session events name it: the old one ended, the new one continues it.
    const logs = e.receiver.logs();
    expect(logs.filter((l) => l.eventName === 'session.end').map((l) => l.attributes)).toEqual([{ 'session.id': before.id }]);
    expect(logs.filter((l) => l.eventName === 'session.start').map((l) => l.attributes)).toEqual([{ 'session.id': newId, 'session.previous_id': before.id }]);
    expect(readSession(e)).toMatchObject({ id: newId, totals: { runs: 1 } });
  });

  it('never lasts more than 24 hours, however busy', async () => {
    const before = readSession(e);
    age(e, 1, 25 * 60);
    e.receiver.reset();
    await e.run(CLI, ['work']);
    await e.receiver.waitFor(() => sessionIds(e).length === 1, 15_000);
    expect(sessionIds(e)[0]).not.toBe(before.id);
  });

  it("joins the parent's session from DEVTOOL_TELEMETRY_SESSION_ID (a uuid only)", async () => {
    const parent = '0b6f7d2e-9c1a-4e8b-a5d3-7f2c1e9b4a60';
    e.receiver.reset();
    await e.run(CLI, ['work'], { DEVTOOL_TELEMETRY_SESSION_ID: parent });
    await e.run(CLI, ['work']); // a later run without the variable joins it too
    await e.run(CLI, ['work'], { DEVTOOL_TELEMETRY_SESSION_ID: 'not-a-uuid; rm -rf /' });
    await e.receiver.waitFor(() => sessionIds(e).length === 3, 15_000);
    expect(sessionIds(e)).toEqual([parent, parent, parent]);
    expect(e.receiver.rawBodiesText()).not.toContain('not-a-uuid');
    expect(readSession(e).totals.runs).toBe(3);
  });

  it('survives a corrupt session file: a fresh session, the tool unaffected', async () => {
    fs.writeFileSync(sessionFile(e.env, 'session-tool'), '{"id": 42, garbage');
    e.receiver.reset();
    const r = await e.run(CLI, ['work']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('worked');
    await e.receiver.waitFor(() => sessionIds(e).length === 1, 15_000);
    expect(sessionIds(e)[0]).toMatch(UUID);
    expect(readSession(e).totals.runs).toBe(1);
  });

  it('shows the live session for status, and forgets it on request', async () => {
    const live = currentSession(e.env, 'session-tool');
    expect(live?.id).toMatch(UUID);
    expect(live?.totals.runs).toBeGreaterThan(0);
    expect(forgetSession(e.env, 'session-tool')).toBe(true);
    expect(currentSession(e.env, 'session-tool')).toBeUndefined();
    expect(fs.readdirSync(path.dirname(sessionFile(e.env, 'session-tool'))).filter((f) => f.startsWith('session-tool-'))).toEqual([]);
    e.receiver.reset();
    await e.run(CLI, ['work']);
    await e.receiver.waitFor(() => sessionIds(e).length === 1, 15_000);
    expect(sessionIds(e)[0]).not.toBe(live!.id);
  });
});

describe('OTEL_SERVICE_NAME in session file names', () => {
  const e = e2ePerFile([TOOL]);

  it.each([
    ['a path', '/home/alice/projects/secret plan'],
    ['an e-mail', 'alice@example.com'],
    ['a traversal', '../../../../etc/cron.d/x'],
  ])('%s never shows in a file name; the runs still share one session', async (_what, name) => {
    e.receiver.reset();
    for (let i = 0; i < 2; i++) expect((await e.run(CLI, ['work'], { OTEL_SERVICE_NAME: name })).code).toBe(0);
    const roots = () => e.receiver.spans().filter((s) => s.parentSpanId === undefined);
    await e.receiver.waitFor(() => roots().length === 2, 15_000);
    const ids = new Set(roots().map((s) => String(s.resource['session.id'])));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(UUID);
    const dir = path.join(e.env.XDG_CACHE_HOME!, 'devtool-telemetry', 'sessions');
    const files = fs.readdirSync(dir);
    for (const f of files) for (const part of ['alice', 'example', 'secret', 'etc', 'cron']) expect(f).not.toContain(part);
    expect(files.filter((f) => /^service-[0-9a-f]{8}\.json$/.test(f))).not.toHaveLength(0);
    // nothing was written outside the sessions directory
    expect(fs.readdirSync(path.dirname(dir)).every((f) => !f.includes('cron'))).toBe(true);
  });

  it('a package name stays readable', () => {
    expect(path.basename(sessionFile(e.env, 'session-tool'))).toMatch(/^session-tool-[0-9a-f]{8}\.json$/);
    expect(path.basename(sessionFile(e.env, '@scope/tool'))).toMatch(/^_scope_tool-[0-9a-f]{8}\.json$/);
    expect(path.basename(sessionFile(e.env, 'session-tool', { fromEnv: true }))).toMatch(/^service-[0-9a-f]{8}\.json$/);
    expect(path.basename(sessionFile(e.env, 'Alice Smith'))).toMatch(/^service-[0-9a-f]{8}\.json$/);
  });
});

describe('races between runs of one tool', () => {
  const e = e2ePerFile([TOOL]);

  it('a stampede of first runs starts exactly one session, without waiting', async () => {
    const runs = await Promise.all(Array.from({ length: 12 }, () => e.run(CLI, ['work'])));
    for (const r of runs) expect(r.code).toBe(0);
    await e.receiver.waitFor(() => sessionIds(e).length === 12, 30_000);
    expect(new Set(sessionIds(e)).size).toBe(1);
    expect(readSession(e).totals.runs).toBe(12);
  });

  it('an ended session raced by many runs is summarized exactly once', async () => {
    age(e, 45, 60);
    e.receiver.reset();
    await Promise.all(Array.from({ length: 8 }, () => e.run(CLI, ['work'])));
    await e.receiver.waitFor(() => sessionIds(e).length === 8 && e.receiver.metrics().some((m) => m.name === 'devtool.session.runs'), 30_000);
    const h = histogram(e.receiver.metrics(), 'devtool.session.runs');
    expect(h.count).toBe(1); // one summary, however many runs saw the session end
    expect(h.sum).toBe(12);
    // And the eight runs joined one new session.
    expect(new Set(sessionIds(e)).size).toBe(1);
    expect(readSession(e).totals.runs).toBe(8);
  });
});
