/**
 * Intake: what of the spool may go out in the next request. The oldest batches that fit in one
 * bounded request, read and validated (spool/reader.ts), re-checked against consent for the
 * identity they were recorded with, and sanitized again at the level allowed now (resanitize.ts).
 * A batch that cannot be read or sanitized is quarantined and counted as `corrupt`; one whose tool
 * is now off is deleted unsent and counted locally as `opted-out`. Nothing here touches the network.
 */
import type { Batch } from '../model/records';
import type { BatchName } from '../spool/layout';
import { quarantineBatch, readBatch, removeBatch } from '../spool/reader';
import type { ConsentCheck } from './consent-check';
import type { Ledger } from './ledger';
import type { ShipperOptions } from './options';
import { resanitize } from './resanitize';

type Env = NodeJS.ProcessEnv;

/** A spool batch on its way out: its file and its (re-sanitized) contents. */
export interface Item {
  name: BatchName;
  batch: Batch;
}

/** Spans plus metric points: what an opted-out batch held, for the local drop count. */
function recordCount(b: Batch): number {
  let n = b.spans.length + (b.logs?.length ?? 0);
  for (const m of b.metrics) n += m.points.length;
  return n;
}

/** The oldest batches that fit in one request. */
export function selectRequest(names: BatchName[], opts: ShipperOptions): BatchName[] {
  const out: BatchName[] = [];
  let records = 0;
  let bytes = 0;
  for (const n of names) {
    if (out.length > 0 && (out.length >= opts.maxBatchesPerRequest || records + n.records > opts.maxSpansPerRequest || bytes + n.bytes > opts.maxBytesPerRequest)) break;
    out.push(n);
    records += n.records;
    bytes += n.bytes;
  }
  return out;
}

export class Intake {
  constructor(
    private readonly env: Env,
    private readonly consent: ConsentCheck,
    private readonly ledger: Ledger,
  ) {}

  /**
   * Read, validate and re-sanitize; quarantine what cannot be sent. Synchronous reads: measured
   * faster than fs.promises here (small files, page cache), and the shipper has nothing else to do.
   */
  load(names: BatchName[]): Item[] {
    const items: Item[] = [];
    for (const name of names) {
      const r = readBatch(this.env, name);
      if (r.kind === 'gone') continue;
      if (r.kind === 'corrupt') {
        quarantineBatch(this.env, name);
        this.ledger.countDropped('corrupt', Math.max(1, name.records));
        continue;
      }
      // Never send what was recorded with telemetry off, or what the user has opted out of since.
      const level = r.batch.level === 'off' ? 'off' : this.consent.allowed(r.batch.level, r.batch.origin, r.batch.resource['service.name']);
      if (level === 'off') {
        removeBatch(this.env, name);
        if (r.batch.level !== 'off') this.ledger.countOptedOut(recordCount(r.batch));
        continue;
      }
      const clean = resanitize(level === r.batch.level ? r.batch : { ...r.batch, level }, this.env);
      if (!clean) {
        quarantineBatch(this.env, name);
        this.ledger.countDropped('corrupt', Math.max(1, name.records), r.batch.resource);
        continue;
      }
      if (r.invalidRecords > 0) this.ledger.countDropped('corrupt', r.invalidRecords, clean.resource);
      items.push({ name, batch: clean });
    }
    return items;
  }

  /**
   * Consent again, right before a request (files may have changed while we waited for the
   * collector): drop what is now off, lower what is now lower. Cheap when nothing changed.
   */
  recheck(items: Item[]): Item[] {
    this.consent.refresh();
    const out: Item[] = [];
    let dropped = false;
    for (const it of items) {
      const b = it.batch;
      const level = this.consent.allowed(b.level, b.origin, b.resource['service.name']);
      if (level === b.level) {
        out.push(it);
        continue;
      }
      if (level === 'off') {
        removeBatch(this.env, it.name);
        this.ledger.countOptedOut(recordCount(b));
        dropped = true;
        continue;
      }
      const clean = resanitize({ ...b, level }, this.env);
      if (clean) out.push({ name: it.name, batch: clean });
      else {
        quarantineBatch(this.env, it.name);
        this.ledger.countDropped('corrupt', Math.max(1, it.name.records), b.resource, b.origin);
      }
    }
    if (dropped) this.ledger.saveState();
    return out;
  }
}
