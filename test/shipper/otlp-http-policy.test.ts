// The OTLP/HTTP rules the shipper follows, against real shipper processes and the test receiver:
// only 429/502/503/504 (and network errors) are retried; every other 4xx/5xx drops the batch;
// every request carries a User-Agent naming us and our version.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { receiversPerTest } from '../support/hooks';
import { REPO_ROOT, type Env } from '../support/run-fixture';
import { ownSpoolEnv, shipperSuiteSandbox, latestTotal, readJsonFile, runShipperProcess, runWriter, spoolFiles } from './helpers';
import { shipperStateFile } from '../../src/spool/layout';
import { isRetryableStatus } from '../../src/shipper/otlp-http-policy';

const sb = shipperSuiteSandbox();
const receiver = receiversPerTest();

const freshEnv = (extra: Env = {}): Env => ownSpoolEnv(sb, extra);

async function spoolOneRun(env: Env): Promise<void> {
  await runWriter({ ...env, DEVTOOL_TELEMETRY_SHIPPER: '1' }, 'r0', 1);
}

describe('retryable status codes (OTLP/HTTP)', () => {
  it('are exactly 429, 502, 503 and 504', () => {
    const retryable = [];
    for (let s = 400; s < 600; s++) if (isRetryableStatus(s)) retryable.push(s);
    expect(retryable).toEqual([429, 502, 503, 504]);
  });

  it.each([500, 501, 408])('%i: the batch is dropped and counted, never retried', async (status) => {
    const rx = await receiver({ respond: (req) => (req.signal === 'traces' ? { status } : undefined) });
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url });
    await spoolOneRun(env);
    await runShipperProcess(env);
    expect(rx.requests.filter((r) => r.signal === 'traces')).toHaveLength(1);
    expect(spoolFiles(env)).toEqual([]);
    expect(readJsonFile<{ dropped: Record<string, number> }>(shipperStateFile(env)).dropped).toEqual({ rejected: 1 });
  }, 60_000);

  it.each([502, 504])('%i: retried, then delivered', async (status) => {
    let traces = 0;
    const rx = await receiver({ respond: (req) => (req.signal === 'traces' && ++traces === 1 ? { status } : undefined) });
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url });
    await spoolOneRun(env);
    await runShipperProcess(env);
    expect(rx.requests.filter((r) => r.signal === 'traces')).toHaveLength(2);
    // The receiver decodes the refused request too: the same span, twice, then acknowledged.
    expect(new Set(rx.spans().map((s) => s.spanId)).size).toBe(1);
    expect(spoolFiles(env)).toEqual([]);
    expect(latestTotal(rx.metrics(), 'devtool.command.runs')).toBe(1);
  }, 60_000);
});

describe('User-Agent', () => {
  it('names devtool-telemetry and its version on every request', async () => {
    const version = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version;
    const rx = await receiver();
    const env = freshEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url });
    await spoolOneRun(env);
    await runShipperProcess(env);
    expect(rx.requests.length).toBeGreaterThanOrEqual(2);
    for (const r of rx.requests) expect(r.headers['user-agent']).toBe(`devtool-telemetry/${version} (OTel-OTLP-Exporter-JavaScript)`);
  }, 60_000);
});
