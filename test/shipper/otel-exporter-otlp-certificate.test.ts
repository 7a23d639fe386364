// OTEL_EXPORTER_OTLP_CERTIFICATE, OTEL_EXPORTER_OTLP_CLIENT_KEY, OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE
// and their per-signal forms (OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_*), against a real local TLS
// receiver whose CA, server and client certificates are made here with openssl. A missing or bad
// file is a configuration problem: nothing is sent without it, the backlog stays in the spool, the
// reason names the variable (status / debug), and nothing crashes.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readShipperState } from '../../src/spool/shipper-state';
import { makeSandbox, runFixture, type Env, type Sandbox } from '../support/run-fixture';
import { batchFiles, liveShipperPid } from '../support/spool-helpers';
import { startProxy } from './proxy';

interface Got {
  path: string;
  /** The verified client certificate's CN, when the client presented one. */
  client?: string;
}

let dir: string;
let server: https.Server;
let url: string;
const got: Got[] = [];
const sandboxes: Sandbox[] = [];

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makeCertificates(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=devtool-test-ca');
  for (const [name, ext] of [['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'], ['client', 'extendedKeyUsage=clientAuth\n']] as const) {
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=devtool-test-${name}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  }
  // Another CA, which did not sign the server: verification must fail with it.
  openssl('req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.pem', '-days', '2', '-subj', '/CN=devtool-other-ca');
  fs.writeFileSync(path.join(dir, 'garbage.pem'), 'not a certificate\n');
}

const f = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtt-tls-'));
  makeCertificates();
  // Mutual TLS is asked for, not required: the handler records whether a verified client came.
  server = https.createServer({ key: fs.readFileSync(f('server.key')), cert: fs.readFileSync(f('server.pem')), ca: fs.readFileSync(f('ca.pem')), requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const sock = req.socket as TLSSocket;
    const peer = sock.authorized ? sock.getPeerCertificate() : undefined;
    req.resume();
    req.on('end', () => {
      got.push({ path: req.url ?? '', ...(peer?.subject?.CN ? { client: String(peer.subject.CN) } : {}) });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  server?.closeAllConnections?.();
  for (const sb of sandboxes) sb.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** One run of the fixture tool in a fresh sandbox; resolves once its shipper has exited. */
async function runWith(extra: Env): Promise<{ env: Env; stderr: string }> {
  const sb = makeSandbox();
  sandboxes.push(sb);
  const env: Env = {
    ...sb.env,
    OTEL_EXPORTER_OTLP_ENDPOINT: url,
    DEVTOOL_TELEMETRY_RETRY_BASE_MS: '100',
    DEVTOOL_TELEMETRY_RETRY_MAX_MS: '400',
    DEVTOOL_TELEMETRY_SHIPPER_MAX_WAIT_MS: '1000',
    ...extra,
  };
  got.length = 0;
  const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['throw'], mode: 'require', env });
  expect(r.code).toBe(1);
  const deadline = Date.now() + 20_000;
  await new Promise((res) => setTimeout(res, 200));
  while ((liveShipperPid(env) !== undefined || (batchFiles(env).length > 0 && got.length === 0 && !readShipperState(env).lastError)) && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 50));
  }
  return { env, stderr: r.stderr };
}

const paths = () => [...new Set(got.map((g) => g.path))].sort();

describe('OTEL_EXPORTER_OTLP_CERTIFICATE', () => {
  it('verifies the collector with the given CA: every signal delivered, the spool empty', async () => {
    const { env } = await runWith({ OTEL_EXPORTER_OTLP_CERTIFICATE: f('ca.pem') });
    expect(paths()).toEqual(['/v1/logs', '/v1/metrics', '/v1/traces']);
    expect(batchFiles(env)).toEqual([]);
    expect(got.every((g) => g.client === undefined)).toBe(true); // no client certificate asked for
  });

  it('unset: the self-signed collector is not trusted; nothing delivered, the backlog kept', async () => {
    const { env } = await runWith({});
    expect(got).toEqual([]);
    expect(batchFiles(env).length).toBeGreaterThan(0);
    expect(readShipperState(env).lastError).toMatch(/network error/);
  });

  it('another CA: verification fails, the backlog is kept', async () => {
    const { env } = await runWith({ OTEL_EXPORTER_OTLP_CERTIFICATE: f('other.pem') });
    expect(got).toEqual([]);
    expect(batchFiles(env).length).toBeGreaterThan(0);
  });

  it.each([
    ['a missing file', 'missing.pem', /OTEL_EXPORTER_OTLP_CERTIFICATE: cannot read the file \(ENOENT\)/],
    ['a file that is not a certificate', 'garbage.pem', /OTEL_EXPORTER_OTLP_CERTIFICATE: not a PEM certificate/],
  ])('%s: nothing sent, backlog kept, the reason names the variable (status, debug); no crash', async (_what, file, reason) => {
    const { env } = await runWith({ OTEL_EXPORTER_OTLP_CERTIFICATE: f(file) });
    expect(got).toEqual([]);
    expect(batchFiles(env).length).toBeGreaterThan(0);
    expect(readShipperState(env).lastError).toMatch(reason);
    // A person asking sees why, naming the variable (never the file's content).
    const debug = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], mode: 'require', env: { ...env, DEVTOOL_TELEMETRY_DEBUG: '1' } });
    expect(debug.code).toBe(0);
    expect(debug.stderr).toMatch(reason);
    const diag = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], mode: 'require', env: { ...env, OTEL_LOG_LEVEL: 'warn' } });
    expect(diag.code).toBe(0);
    expect(diag.stderr).toMatch(reason);
  });
});

describe('OTEL_EXPORTER_OTLP_CLIENT_KEY / OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE', () => {
  it('both set: mutual TLS, the collector sees our client certificate', async () => {
    await runWith({ OTEL_EXPORTER_OTLP_CERTIFICATE: f('ca.pem'), OTEL_EXPORTER_OTLP_CLIENT_KEY: f('client.key'), OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: f('client.pem') });
    expect(paths()).toEqual(['/v1/logs', '/v1/metrics', '/v1/traces']);
    expect(got.every((g) => g.client === 'devtool-test-client')).toBe(true);
  });

  it('one without the other: nothing sent, the backlog kept, the reason names both variables', async () => {
    const { env } = await runWith({ OTEL_EXPORTER_OTLP_CERTIFICATE: f('ca.pem'), OTEL_EXPORTER_OTLP_CLIENT_KEY: f('client.key') });
    expect(got).toEqual([]);
    expect(batchFiles(env).length).toBeGreaterThan(0);
    expect(readShipperState(env).lastError).toMatch(/OTEL_EXPORTER_OTLP_CLIENT_KEY is set without OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE/);
  });

  it('a client key that is not a key: the reason names the variable', async () => {
    const { env } = await runWith({ OTEL_EXPORTER_OTLP_CERTIFICATE: f('ca.pem'), OTEL_EXPORTER_OTLP_CLIENT_KEY: f('client.pem'), OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: f('client.pem') });
    expect(got).toEqual([]);
    expect(readShipperState(env).lastError).toMatch(/OTEL_EXPORTER_OTLP_CLIENT_KEY: not a PEM private key/);
  });
});

describe('OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_CERTIFICATE (per signal)', () => {
  it('the per-signal file wins over the generic one for its signal only', async () => {
    // Generic: a CA that did not sign the server; traces, metrics and logs each get the right one.
    await runWith({
      OTEL_EXPORTER_OTLP_CERTIFICATE: f('other.pem'),
      OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: f('ca.pem'),
      OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE: f('ca.pem'),
      OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE: f('ca.pem'),
    });
    expect(paths()).toEqual(['/v1/logs', '/v1/metrics', '/v1/traces']);
  });

  it('only traces trusted: spans delivered, logs and metrics kept back', async () => {
    const { env } = await runWith({ OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: f('ca.pem') });
    expect(paths()).toEqual(['/v1/traces']);
    // The batch stays for its logs (its spans are not sent again by this shipper).
    expect(batchFiles(env).length).toBeGreaterThan(0);
  });

  it('per-signal client certificates: metrics with mutual TLS, traces without', async () => {
    await runWith({
      OTEL_EXPORTER_OTLP_CERTIFICATE: f('ca.pem'),
      OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY: f('client.key'),
      OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE: f('client.pem'),
    });
    expect(paths()).toEqual(['/v1/logs', '/v1/metrics', '/v1/traces']);
    expect(got.find((g) => g.path === '/v1/metrics')!.client).toBe('devtool-test-client');
    expect(got.find((g) => g.path === '/v1/traces')!.client).toBeUndefined();
  });
});

describe('the TLS files through HTTPS_PROXY (a CONNECT tunnel)', () => {
  it('verify the collector and authenticate us inside the tunnel', async () => {
    const proxy = await startProxy();
    try {
      await runWith({
        HTTPS_PROXY: proxy.url,
        OTEL_EXPORTER_OTLP_CERTIFICATE: f('ca.pem'),
        OTEL_EXPORTER_OTLP_CLIENT_KEY: f('client.key'),
        OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: f('client.pem'),
      });
      expect(proxy.tunnels.length).toBeGreaterThan(0);
      expect(paths()).toEqual(['/v1/logs', '/v1/metrics', '/v1/traces']);
      expect(got.every((g) => g.client === 'devtool-test-client')).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('without the CA: the tunnel opens, verification fails, the backlog is kept', async () => {
    const proxy = await startProxy();
    try {
      const { env } = await runWith({ HTTPS_PROXY: proxy.url });
      expect(proxy.tunnels.length).toBeGreaterThan(0);
      expect(got).toEqual([]);
      expect(batchFiles(env).length).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
  });
});
