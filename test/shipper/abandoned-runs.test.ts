/**
 * Start records of runs that died without running JS (issue 12): who is dead (pid gone, zombie,
 * pid reused = other kernel start time, started before the last boot), what the finalized record
 * says (abnormal, ends at the last time the run was known alive), what is left alone (a live
 * owner, another pid namespace, a record being written) and what is refused (a foreign folder).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { processStartNs } from '../../src/recorder/clock';
import { pidNamespace, procStartTicks, runsDir, startTicks, writeStartRecord, type StartRecordData } from '../../src/spool/start-record';
import { finalizeAbandonedRuns, liveness, parseStartRecord } from '../../src/shipper/abandoned-runs';
import { readBatches } from '../support/spool-helpers';
import { sandboxPerTest } from '../support/hooks';

const base = (over: Partial<StartRecordData> = {}): StartRecordData => ({
  v: 1,
  pid: process.pid,
  pidns: pidNamespace(),
  startNs: processStartNs().toString(),
  traceId: 'a'.repeat(31) + '1',
  spanId: 'b'.repeat(15) + '2',
  name: 'plain-cli install',
  flags: ['--force', '-p'],
  level: 'usage',
  toolName: 'plain-cli',
  toolVersion: '1.0.0',
  identity: 'session',
  ci: false,
  ...over,
});

/** A pid that just exited (and was reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('liveness', () => {
  it('this process is alive; a reused pid (other start time) is dead; an exited pid is dead', () => {
    expect(liveness(base())).toBe('alive');
    // The same pid, but a process started 10 s earlier or later than the one that wrote the record.
    expect(liveness(base({ startNs: (processStartNs() - 10_000_000_000n).toString() }))).toBe('dead');
    expect(liveness(base({ startNs: (processStartNs() + 10_000_000_000n).toString() }))).toBe('dead');
    const ticks = procStartTicks('self')!;
    expect(ticks).toMatch(/^\d+$/);
    expect(liveness(base({ ticks }))).toBe('alive');
    expect(liveness(base({ ticks: String(Number(ticks) + 1) }))).toBe('dead');
    expect(liveness(base({ pid: deadPid() }))).toBe('dead');
  });

  it('a zombie (exited, its parent not reaping it yet) is dead', async () => {
    // sh starts `sleep 0.2` in the background, then becomes `sleep 5`, which never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = Number(await new Promise<string>((r) => parent.stdout.once('data', (d) => r(String(d)))));
    const ticks = procStartTicks(pid)!;
    expect(ticks).toMatch(/^\d+$/);
    expect(liveness(base({ pid, ticks }))).toBe('alive');
    await new Promise((r) => setTimeout(r, 700));
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    expect(stat.slice(stat.lastIndexOf(')') + 2)[0]).toBe('Z');
    expect(liveness(base({ pid, ticks }))).toBe('dead');
    parent.kill('SIGKILL');
  });

  it('started before the last boot: dead, whoever holds the pid', () => {
    expect(liveness(base({ startNs: '1000000000' }))).toBe('dead');
  });

  it('another pid namespace cannot be judged from here', () => {
    expect(liveness(base({ pidns: 'pid:[1]' }))).toBe('unknown');
  });

  it('startTicks survives a command name with spaces and parens', () => {
    const fields = ['S', ...Array.from({ length: 18 }, (_, i) => String(i)), '123456', '0'];
    expect(startTicks(`42 (we (ird) name) ${fields.join(' ')}`)).toBe('123456');
  });

  it('parseStartRecord refuses what our preload never writes', () => {
    expect(parseStartRecord(JSON.stringify(base()))).toBeDefined();
    expect(parseStartRecord('{')).toBeUndefined();
    expect(parseStartRecord(JSON.stringify(base({ traceId: 'x' })))).toBeUndefined();
    expect(parseStartRecord(JSON.stringify(base({ level: 'off' })))).toBeUndefined();
    expect(parseStartRecord(JSON.stringify({ ...base(), pid: -1 }))).toBeUndefined();
    // a parent span and a link are kept only when well formed
    const link = { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16) };
    expect(parseStartRecord(JSON.stringify(base({ parentSpanId: 'e'.repeat(16), link })))).toMatchObject({ parentSpanId: 'e'.repeat(16), link });
    const bad = parseStartRecord(JSON.stringify({ ...base(), parentSpanId: 'E'.repeat(16), link: { traceId: 'x', spanId: 'd'.repeat(16) } }))!;
    expect(bad.parentSpanId).toBeUndefined();
    expect(bad.link).toBeUndefined();
  });
});

describe('finalizeAbandonedRuns', () => {
  const sb = sandboxPerTest();

  function plant(rec: StartRecordData, mtimeMs?: number): string {
    const dir = runsDir(sb.env);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${rec.pid}-${rec.spanId}.run`);
    fs.writeFileSync(file, JSON.stringify(rec), { mode: 0o600 });
    if (mtimeMs) fs.utimesSync(file, new Date(mtimeMs), new Date(mtimeMs));
    return file;
  }

  it('a dead run becomes one abnormal command span and its run metrics, ending when last known alive', () => {
    const lastAlive = Date.now() - 2000;
    const rec = base({ pid: deadPid(), startNs: (BigInt(Date.now() - 10_000) * 1_000_000n).toString() });
    const file = plant(rec, lastAlive);
    const r = finalizeAbandonedRuns(sb.env);
    expect(r.finalized).toBe(1);
    expect(fs.existsSync(file)).toBe(false);
    const [b] = readBatches(sb.env);
    const span = b!.batch!.spans[0]!;
    expect(span.traceId).toBe(rec.traceId);
    expect(span.name).toBe('plain-cli install');
    expect(span.attributes).toMatchObject({ 'devtool.command.name': 'plain-cli install', 'devtool.command.outcome': 'abnormal', 'devtool.command.flags': ['--force', '-p'] });
    expect(span.attributes['process.exit.code']).toBeUndefined();
    expect(span.status.code).toBe(2);
    expect(span.startTimeUnixNano).toBe(rec.startNs);
    expect(BigInt(span.endTimeUnixNano) / 1_000_000n).toBe(BigInt(lastAlive));
    expect(b!.batch!.resource['service.name']).toBe('plain-cli');
    expect(b!.batch!.resource['service.version']).toBe('1.0.0');
    const runs = b!.batch!.metrics.find((m) => m.name === 'devtool.command.runs')!;
    expect(runs.points[0]).toMatchObject({ attributes: { 'devtool.command.outcome': 'abnormal' }, value: 1 });
    // Once only.
    expect(finalizeAbandonedRuns(sb.env).finalized).toBe(0);
    expect(readBatches(sb.env)).toHaveLength(1);
  });

  it('a dead child keeps its parent span (same trace) and a detached one its link', () => {
    const startNs = (BigInt(Date.now() - 10_000) * 1_000_000n).toString();
    plant(base({ pid: deadPid(), startNs, parentSpanId: 'e'.repeat(15) + '1' }));
    plant(base({ pid: deadPid(), startNs, traceId: 'f'.repeat(31) + '3', spanId: 'c'.repeat(15) + '4', link: { traceId: 'a'.repeat(31) + '5', spanId: 'b'.repeat(15) + '6' } }));
    expect(finalizeAbandonedRuns(sb.env).finalized).toBe(2);
    const spans = readBatches(sb.env).flatMap((b) => b.batch!.spans);
    const child = spans.find((x) => x.traceId === 'a'.repeat(31) + '1')!;
    expect(child.parentSpanId).toBe('e'.repeat(15) + '1');
    expect(child.links).toEqual([]);
    const detached = spans.find((x) => x.traceId === 'f'.repeat(31) + '3')!;
    expect(detached.parentSpanId).toBeUndefined();
    expect(detached.links).toEqual([{ traceId: 'a'.repeat(31) + '5', spanId: 'b'.repeat(15) + '6', attributes: {} }]);
  });

  it('a live owner is left alone and its record touched (last known alive = now)', () => {
    const file = plant(base(), Date.now() - 60_000);
    const r = finalizeAbandonedRuns(sb.env);
    expect(r).toMatchObject({ finalized: 0, alive: 1 });
    expect(fs.existsSync(file)).toBe(true);
    expect(Date.now() - fs.statSync(file).mtimeMs).toBeLessThan(5000);
    expect(readBatches(sb.env)).toHaveLength(0);
  });

  it('a half-written record is left while fresh, removed when old; never sent', () => {
    const dir = runsDir(sb.env);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(dir, '1-1-x.run'), '{"v":1,');
    fs.writeFileSync(path.join(dir, '2-1-y.run'), '');
    fs.utimesSync(path.join(dir, '2-1-y.run'), new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    const r = finalizeAbandonedRuns(sb.env);
    expect(r).toMatchObject({ finalized: 0, removed: 1 });
    expect(fs.readdirSync(dir)).toEqual(['1-1-x.run']);
    expect(readBatches(sb.env)).toHaveLength(0);
  });

  it('a runs folder that is a symlink, or open to others, is not used', () => {
    const other = fs.mkdtempSync(path.join(sb.root, 'elsewhere-'));
    fs.mkdirSync(path.dirname(runsDir(sb.env)), { recursive: true });
    fs.symlinkSync(other, runsDir(sb.env));
    expect(writeStartRecord(base(), sb.env)).toBeUndefined();
    expect(fs.readdirSync(other)).toEqual([]);
    fs.writeFileSync(path.join(other, `${deadPid()}-1-c.run`), JSON.stringify(base({ pid: deadPid() })));
    expect(finalizeAbandonedRuns(sb.env).finalized).toBe(0);

    fs.unlinkSync(runsDir(sb.env));
    fs.mkdirSync(runsDir(sb.env), { mode: 0o700 });
    fs.chmodSync(runsDir(sb.env), 0o777);
    expect(writeStartRecord(base(), sb.env)).toBeUndefined();
  });

  it('writeStartRecord then remove: nothing left behind', () => {
    const rec = writeStartRecord(base(), sb.env)!;
    expect(rec).toBeDefined();
    expect(fs.readdirSync(runsDir(sb.env))).toHaveLength(1);
    const mode = fs.statSync(path.join(runsDir(sb.env), fs.readdirSync(runsDir(sb.env))[0]!)).mode & 0o777;
    expect(mode).toBe(0o600);
    rec.remove();
    expect(fs.readdirSync(runsDir(sb.env))).toHaveLength(0);
  });
});
