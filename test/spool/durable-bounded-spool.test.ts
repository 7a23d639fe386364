import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Batch, MetricRecord } from '../../src/model/records';
import { batchDir, parseBatchName } from '../../src/spool/layout';
import { listBatches, quarantineBatch, readBatch } from '../../src/spool/reader';
import { validateBatch } from '../../src/model/validate';
import { appendSentLog, readSentLog } from '../../src/spool/sent-log';
import { DROPPED_METRIC, DROP_REASON_ATTR, writeBatch } from '../../src/spool/spool';
import { spoolStats } from '../../src/spool/summary';
import { makeSandbox, type Sandbox } from '../support/run-fixture';
import { ensureBuilt, runWriter, spoolFiles } from '../shipper/helpers';

let sb: Sandbox;
beforeAll(() => {
  ensureBuilt();
  sb = makeSandbox();
});
afterAll(() => sb.cleanup());

let seq = 0;
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const dir = fs.mkdtempSync(path.join(sb.root, 'c-'));
  return { ...sb.env, XDG_CACHE_HOME: dir, ...extra };
}

function batch(spans = 1, over: Partial<Batch> = {}): Batch {
  const now = Date.now();
  const ns = `${BigInt(now) * 1_000_000n}`;
  seq++;
  return {
    v: 1,
    id: `b${seq}x${Math.random().toString(36).slice(2, 8)}`,
    createdAt: now,
    level: 'usage',
    resource: { 'service.name': 'spool-test' },
    spans: Array.from({ length: spans }, (_, i) => ({
      traceId: 'ab'.repeat(16),
      spanId: (i + 1).toString(16).padStart(16, '0'),
      name: `span ${i}`,
      kind: 1,
      startTimeUnixNano: ns,
      endTimeUnixNano: ns,
      attributes: { i },
      events: [],
      links: [],
      status: { code: 0 },
    })),
    metrics: [],
    ...over,
  };
}

/** The batch id inside a file name (the writer appends a per-write suffix). */
function idOf(nameId: string): string {
  return nameId.replace(/_[a-z0-9]+$/, '');
}

function droppedIn(b: Batch): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of b.metrics as MetricRecord[]) {
    if (m.name !== DROPPED_METRIC) continue;
    for (const p of m.points) out[String(p.attributes[DROP_REASON_ATTR])] = (p as { value: number }).value;
  }
  return out;
}

describe('writeBatch', () => {
  it('writes one private file per batch that reads back identical', () => {
    const e = env();
    const b = batch(3);
    expect(writeBatch(b, e)).toEqual({ ok: true });
    const names = listBatches(e);
    expect(names).toHaveLength(1);
    expect(names[0].records).toBe(3);
    const file = path.join(batchDir(e), names[0].file);
    expect(names[0].bytes).toBe(fs.statSync(file).size);
    if (process.platform !== 'win32') {
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.statSync(batchDir(e)).mode & 0o777).toBe(0o700);
    }
    const r = readBatch(e, names[0]);
    expect(r.kind).toBe('ok');
    if (r.kind === 'ok') expect(r.batch).toEqual(b);
    // No temp file left behind.
    expect(fs.readdirSync(batchDir(e)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('returns ok:false and throws nothing when the cache dir is a file, or the batch cannot be serialized', () => {
    const e = env();
    fs.writeFileSync(path.join(e.XDG_CACHE_HOME!, 'devtool-telemetry'), 'not a dir');
    const r = writeBatch(batch(), e);
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/ENOTDIR|EEXIST/);

    const circular = batch() as Batch & { self?: unknown };
    circular.self = circular;
    expect(writeBatch(circular, env()).ok).toBe(false);
    const big = batch(1, { resource: { 'service.name': 'x', huge: 1n as unknown as number } });
    expect(writeBatch(big, env()).ok).toBe(false);
  });

  it('evicts oldest first beyond the size cap and reports the evicted records in the next batch', () => {
    const e = env({ DEVTOOL_TELEMETRY_SPOOL_MAX_BYTES: '6000' });
    const written: Batch[] = [];
    let evictedTotal = 0;
    const perWrite: number[] = [];
    for (let i = 0; i < 20; i++) {
      const b = batch(4, { createdAt: Date.now() + i });
      written.push(b);
      const r = writeBatch(b, e);
      expect(r.ok).toBe(true);
      perWrite.push(r.evicted ?? 0);
      evictedTotal += r.evicted ?? 0;
    }
    const names = listBatches(e);
    const total = names.reduce((n, x) => n + x.bytes, 0);
    expect(total).toBeLessThanOrEqual(6000);
    // The survivors are the newest ones, in order.
    const ids = names.map((n) => idOf(n.id));
    expect(ids).toEqual(written.slice(-ids.length).map((b) => b.id));
    // Conservation: every record ever written either survives or was counted as evicted.
    // (A batch that reports evictions carries one extra record: the dropped-metric point.)
    const recordsWritten = perWrite.reduce((n, ev) => n + 4 + (ev > 0 ? 1 : 0), 0);
    const surviving = names.reduce((n, x) => n + x.records, 0);
    expect(evictedTotal).toBeGreaterThan(0);
    expect(surviving + evictedTotal).toBe(recordsWritten);
    // And each surviving batch reports exactly what its write evicted.
    for (const n of names) {
      const r = readBatch(e, n);
      expect(r.kind).toBe('ok');
      const i = written.findIndex((b) => b.id === idOf(n.id));
      if (r.kind === 'ok') expect(droppedIn(r.batch).full ?? 0).toBe(perWrite[i]);
    }
  });

  it('evicts batches past the age cap with reason "expired"', () => {
    const e = env({ DEVTOOL_TELEMETRY_SPOOL_MAX_AGE_MS: '60000' });
    expect(writeBatch(batch(2, { createdAt: Date.now() - 120_000 }), e).ok).toBe(true);
    expect(writeBatch(batch(1), e)).toEqual({ ok: true, evicted: 2 });
    const names = listBatches(e);
    expect(names).toHaveLength(1);
    const r = readBatch(e, names[0]);
    expect(r.kind === 'ok' && droppedIn(r.batch)).toEqual({ expired: 2 });
  });

  it('keeps at most the batch-count cap', () => {
    const e = env({ DEVTOOL_TELEMETRY_SPOOL_MAX_BATCHES: '5' });
    const evicted: number[] = [];
    for (let i = 0; i < 12; i++) evicted.push(writeBatch(batch(1, { createdAt: Date.now() + i }), e).evicted ?? 0);
    expect(listBatches(e)).toHaveLength(5);
    expect(evicted.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(evicted.slice(5).every((n) => n >= 1)).toBe(true);
  });

  it('refuses a batch larger than the per-batch cap', () => {
    const e = env({ DEVTOOL_TELEMETRY_SPOOL_MAX_BYTES: '2000' });
    const r = writeBatch(batch(30), e);
    expect(r.ok).toBe(false);
    expect(listBatches(e)).toHaveLength(0);
  });
});

describe.runIf(process.platform === 'linux' && process.getuid?.() === 0)('writeBatch on a full or read-only disk', () => {
  const mounts: string[] = [];
  afterAll(() => {
    for (const m of mounts) {
      try {
        execFileSync('umount', [m]);
      } catch {
        /* already */
      }
    }
  });

  it('disk full (64 KiB tmpfs): ok:false, nothing thrown, no temp files left, earlier batches intact', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtt-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    mounts.push(dir);
    const e = { ...sb.env, XDG_CACHE_HOME: dir };
    let ok = 0;
    let failed: { ok: boolean; reason?: string } | undefined;
    for (let i = 0; i < 200 && !failed; i++) {
      const r = writeBatch(batch(20), e);
      if (r.ok) ok++;
      else failed = r;
    }
    expect(ok).toBeGreaterThan(0);
    expect(failed?.ok).toBe(false);
    expect(failed?.reason).toBe('ENOSPC');
    expect(fs.readdirSync(batchDir(e)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    for (const n of listBatches(e)) expect(readBatch(e, n).kind).toBe('ok');
    const st = spoolStats(e);
    expect(st.pendingBatches).toBe(ok);
  });

  it('read-only HOME: the tool process runs to completion, the write reports ok:false', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtt-ro-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    mounts.push(dir);
    fs.mkdirSync(path.join(dir, '.cache'));
    execFileSync('mount', ['-o', 'remount,ro', dir]);
    const e = { ...sb.env, HOME: dir, XDG_CACHE_HOME: path.join(dir, '.cache'), OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' };
    const r = await runWriter(e, 'ro');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.out.written.ok).toBe(false);
    expect(r.out.written.reason).toBe('EROFS');
    expect(spoolStats(e).problems).toEqual([]); // nothing exists to complain about, and no throw
  });
});

describe('names', () => {
  it('two writes of batches with the same id keep both (no silent replace)', () => {
    const e = env();
    const b = batch(1);
    expect(writeBatch(b, e).ok).toBe(true);
    expect(writeBatch(b, e).ok).toBe(true);
    expect(listBatches(e)).toHaveLength(2);
  });
});

describe('many writers at once', () => {
  it('100 concurrent processes: 100 intact batches, no temp files', async () => {
    const e = { ...env(), DEVTOOL_TELEMETRY_SHIPPER: '1' }; // kick is a no-op inside a "shipper"
    const outs = await Promise.all(Array.from({ length: 100 }, (_, i) => runWriter(e as Record<string, string>, `w${i}`, 2)));
    expect(outs.filter((o) => !o.out.written.ok).map((o) => o.out.written)).toEqual([]);
    const files = spoolFiles(e as Record<string, string>);
    expect(files).toHaveLength(100);
    const ids = new Set<string>();
    for (const n of listBatches(e)) {
      const r = readBatch(e, n);
      expect(r.kind).toBe('ok');
      if (r.kind === 'ok') ids.add(r.batch.id);
    }
    expect(ids).toEqual(new Set(outs.map((o) => o.out.id)));
    // (The cost of a write is measured by bench/exit-delay.mjs, not here: 100 processes at once
    // on a shared machine say nothing about it.)
  }, 120_000);
});

describe('reader', () => {
  it('classifies garbage, truncated, empty and foreign files as corrupt and quarantines them', () => {
    const e = env();
    expect(writeBatch(batch(2), e).ok).toBe(true);
    const good = listBatches(e)[0];
    const text = fs.readFileSync(path.join(batchDir(e), good.file), 'utf8');
    const now = Date.now();
    const bad = {
      [`${now - 3}-1-garbage-1-10.batch`]: '\u0000\u0001 not json at all',
      [`${now - 2}-1-truncated-2-10.batch`]: text.slice(0, Math.floor(text.length / 2)),
      [`${now - 1}-1-empty-0-0.batch`]: '',
      [`${now}-1-foreign-1-10.batch`]: JSON.stringify({ hello: 'world' }),
    };
    for (const [f, c] of Object.entries(bad)) fs.writeFileSync(path.join(batchDir(e), f), c);
    const names = listBatches(e);
    expect(names).toHaveLength(5);
    const kinds = names.map((n) => [n.id, readBatch(e, n).kind]);
    expect(Object.fromEntries(kinds)).toEqual({ garbage: 'corrupt', truncated: 'corrupt', empty: 'corrupt', foreign: 'corrupt', [good.id]: 'ok' });
    for (const n of names) if (n.id !== good.id) quarantineBatch(e, n);
    expect(listBatches(e).map((n) => n.id)).toEqual([good.id]);
    expect(spoolStats(e).quarantined).toBe(4);
  });

  it('validateBatch drops malformed records but keeps the good ones', () => {
    const b = batch(2) as unknown as Record<string, unknown>;
    const spans = b.spans as Array<Record<string, unknown>>;
    spans.push({ ...spans[0], traceId: 'nothex' }, { ...spans[0], startTimeUnixNano: 12 }, null as unknown as Record<string, unknown>);
    b.metrics = [
      { name: 'm', unit: '1', description: '', type: 'sum', startTimeUnixNano: '1', timeUnixNano: '2', points: [{ attributes: { a: 'x', bad: { nested: 1 } }, value: 2 }, { attributes: {}, value: 'NaN' }] },
      { name: 'h', unit: 's', description: '', type: 'histogram', startTimeUnixNano: '1', timeUnixNano: '2', points: [{ attributes: {}, count: 1, sum: 1, min: 1, max: 1, bounds: [1, 2], bucketCounts: [1, 0] }] },
    ];
    const v = validateBatch(b)!;
    expect(v.batch.spans).toHaveLength(2);
    expect(v.batch.metrics).toHaveLength(1);
    expect(v.batch.metrics[0].points).toEqual([{ attributes: { a: 'x' }, value: 2 }]);
    expect(v.invalidRecords).toBe(3 + 1 + 1);
    expect(validateBatch({ v: 2, id: 'x', spans: [], metrics: [] })).toBeUndefined();
  });

  it('parses only well-formed batch names', () => {
    expect(parseBatchName('0001700000000000-12-abc-3-100.batch')).toBeUndefined();
    expect(parseBatchName('1700000000000-12-abc-3-100.batch')).toMatchObject({ pid: 12, id: 'abc', records: 3, bytes: 100 });
    expect(parseBatchName('.1700000000000-12-abc-3-100.batch.tmp')).toBeUndefined();
    expect(parseBatchName('1700000000000-12-../x-3-100.batch')).toBeUndefined();
  });
});

describe('spoolStats', () => {
  it('reports pending work, and a spool dir that is a file or belongs to someone else', () => {
    const e = env();
    expect(writeBatch(batch(2), e).ok).toBe(true);
    expect(writeBatch(batch(3), e).ok).toBe(true);
    const st = spoolStats(e);
    expect(st).toMatchObject({ pendingBatches: 2, pendingRecords: 5, quarantined: 0, breaker: { open: false }, shipper: { running: false }, problems: [] });
    expect(st.pendingBytes).toBeGreaterThan(0);
    expect(st.oldestAt).toBeLessThanOrEqual(Date.now());

    const f = env();
    fs.writeFileSync(path.join(f.XDG_CACHE_HOME!, 'devtool-telemetry'), 'x');
    expect(spoolStats(f).problems.join('\n')).toMatch(/is not a directory/);

    if (process.platform !== 'win32' && process.getuid?.() === 0) {
      const o = env();
      expect(writeBatch(batch(1), o).ok).toBe(true);
      fs.chownSync(path.join(o.XDG_CACHE_HOME!, 'devtool-telemetry'), 4242, 4242);
      expect(spoolStats(o).problems.join('\n')).toMatch(/belongs to another user/);
    }
  });
});

describe('sent log', () => {
  it('keeps recent entries and stays bounded', () => {
    const e = env();
    fs.mkdirSync(path.join(e.XDG_CACHE_HOME!, 'devtool-telemetry'), { recursive: true });
    const records = [{ name: 'x'.repeat(2000) }];
    for (let i = 0; i < 1500; i++) {
      appendSentLog(e, { time: i, signal: 'traces', endpoint: 'http://h/v1/traces', result: 'ok', status: 200, batches: 1, items: 1, records, more: 0 });
    }
    const dir = path.join(e.XDG_CACHE_HOME!, 'devtool-telemetry');
    const size = fs.statSync(path.join(dir, 'sent.log')).size + fs.statSync(path.join(dir, 'sent.log.1')).size;
    expect(size).toBeLessThanOrEqual(2 * 1024 * 1024);
    const last = readSentLog(e, 10);
    expect(last.map((x) => x.time)).toEqual([1490, 1491, 1492, 1493, 1494, 1495, 1496, 1497, 1498, 1499]);
    fs.appendFileSync(path.join(dir, 'sent.log'), '{"torn":');
    expect(readSentLog(e, 1)[0].time).toBe(1499);
  });
});

describe('destinations', () => {
  it('keeps batches apart per OTLP settings, and status counts the others', () => {
    const a = env({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' });
    const b = { ...a, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:2' };
    expect(writeBatch(batch(), a).ok).toBe(true);
    expect(writeBatch(batch(), b).ok).toBe(true);
    expect(writeBatch(batch(), b).ok).toBe(true);
    expect(batchDir(a)).not.toBe(batchDir(b));
    expect(listBatches(a)).toHaveLength(1);
    expect(listBatches(b)).toHaveLength(2);
    expect(spoolStats(a)).toMatchObject({ pendingBatches: 1, otherDestinations: { destinations: 1, batches: 2 } });
    // Headers are part of the destination too: another ingest key is another destination.
    expect(batchDir({ ...a, OTEL_EXPORTER_OTLP_HEADERS: 'x-key=2' })).not.toBe(batchDir(a));
  });
});
