/**
 * End to end: the planted-secrets corpus through real preloaded processes, in every position a
 * value can enter (argv, environment values, the working directory, HOME and USER, package.json
 * fields, OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME, span/step/command names, attributes of our
 * API and of third-party OpenTelemetry instrumentation, URLs with credentials and query strings,
 * HTTP headers, events, status messages, exceptions, LLM metadata and content, an uncaught error).
 * Assertion: no planted value appears anywhere in the raw request bodies the shipper sends, for
 * http/protobuf and http/json, at the `usage` and the `full` level.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import corpus from '../fixtures/secrets/corpus.json';
import { startReceiver, type Receiver } from '../support/otlp-receiver';
import { linkPackage, listSpool, makeSandbox, REPO_ROOT, runFixture, type Env, type Sandbox } from '../support/run-fixture';
import { waitForShipperIdle } from '../support/spool-helpers';

interface Entry { kind: string; value: string; secret: string; context?: { user: string; host: string } }
const all = (corpus as { entries: Entry[] }).entries;
// User names are secrets only as somebody's name: they are planted as the run's user (HOME and
// USER) instead of as values. Host names cannot be planted into a process (os.hostname() is the
// machine's); the unit corpus test covers them through the sanitizer context.
const entries = all.filter((e) => !e.context);
const USERS = [...new Set(all.filter((e) => e.context).map((e) => e.context!.user))];
const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/secrets/planted-tool');
const CHUNK = 55;

/** Values that can be a directory name. */
const dirSafe = entries.map((e) => e.value).filter((v) => /^[A-Za-z0-9._@+-]{4,120}$/.test(v));

let receiver: Receiver;
const sandboxes: Sandbox[] = [];
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  for (const sb of sandboxes) sb.cleanup();
});

async function plantedRun(chunk: Entry[], n: number, protocol: 'http/protobuf' | 'http/json', level: 'usage' | 'full', user: string) {
  const PLANTED_USER = user;
  const sb = makeSandbox();
  sandboxes.push(sb);
  // HOME (and so every path under it) carries a planted user name; USER too.
  const home = path.join(sb.root, 'users', PLANTED_USER);
  fs.mkdirSync(home, { recursive: true });
  const cwd = n % 2 === 0 ? path.join(home, 'work', dirSafe[n % dirSafe.length]!) : path.join(sb.root, dirSafe[(n + 7) % dirSafe.length]!);
  fs.mkdirSync(cwd, { recursive: true });

  // The tool itself, with planted package.json fields (and, every other run, a planted name and version).
  const tool = path.join(sb.root, 'tool');
  fs.mkdirSync(tool, { recursive: true });
  fs.copyFileSync(path.join(FIXTURE, 'cli.js'), path.join(tool, 'cli.js'));
  const v = (i: number) => chunk[i % chunk.length]!.value;
  const pkg = {
    name: n % 2 === 1 ? v(3) : 'planted-tool',
    version: n % 2 === 1 ? `1.0.0-${v(4)}` : '1.0.0',
    description: v(5),
    author: v(6),
    homepage: `https://example.com/?token=${encodeURIComponent(v(7))}`,
    repository: { url: `https://user:${encodeURIComponent(v(8))}@git.example.com/repo.git` },
    keywords: chunk.map((e) => e.value).slice(0, 10),
    devtoolTelemetry: { subcommands: chunk.map((e) => e.value).slice(0, 5) },
  };
  fs.writeFileSync(path.join(tool, 'package.json'), JSON.stringify(pkg, null, 2));
  linkPackage(tool);

  const enc = encodeURIComponent;
  const env: Env = {
    ...sb.env,
    HOME: home,
    USERPROFILE: home,
    USER: PLANTED_USER,
    LOGNAME: PLANTED_USER,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    DEVTOOL_TELEMETRY_LEVEL: level,
    PLANTED_REPO: REPO_ROOT,
    OTEL_RESOURCE_ATTRIBUTES: [
      `user.email=${enc(v(9))}`, `host.name=${enc(v(10))}`, `service.namespace=${enc(v(11))}`, `os.description=${enc(v(12))}`,
      `service.version=${enc(v(13))}`, `devtool.agent=${enc(v(14))}`, `deployment.environment=${enc(v(15))}`, `app.installation.id=${enc(v(16))}`,
    ].join(','),
    ...(n % 3 === 0 ? { OTEL_SERVICE_NAME: v(17) } : {}),
    MY_API_KEY: v(18),
    DATABASE_URL: v(19),
  };
  chunk.forEach((e, i) => (env[`PLANTED_${i}`] = e.value));
  const args = [...chunk.map((e) => e.value).slice(0, 3), ...chunk.flatMap((e) => [`--secret=${e.value}`, e.value])];
  const run = await runFixture({ script: path.join(tool, 'cli.js'), args, env, mode: 'require', cwd, timeoutMs: 60_000 });
  await waitForShipperIdle(env, 60_000);
  return { run, env };
}

const COMBOS: Array<['http/protobuf' | 'http/json', 'usage' | 'full']> = [
  ['http/protobuf', 'usage'],
  ['http/json', 'full'],
  ['http/protobuf', 'full'],
  ['http/json', 'usage'],
];

describe('planted secrets, real processes, raw request bodies', () => {
  it('plants every corpus entry except host names, and every user name', () => {
    expect(entries.length + USERS.length * 2).toBe(all.length);
    expect(USERS.length).toBeGreaterThanOrEqual(4);
  });

  it.each(COMBOS)('%s at level %s: no planted value is sent', async (protocol, level) => {
    let n = 0;
    for (let start = 0; start < entries.length; start += CHUNK, n++) {
      const chunk = entries.slice(start, start + CHUNK);
      receiver.reset();
      const user = USERS[n % USERS.length]!;
      const { run, env } = await plantedRun(chunk, n, protocol, level, user);
      // The fixture ran to its end (its uncaught error is part of the plan).
      expect(run.stdout, run.stderr.slice(0, 2000)).toContain(`planted ${chunk.length} values`);
      expect(run.code).toBe(1);
      try {
        await receiver.waitFor(() => receiver.spans().length > 0, 30_000);
      } catch (err) {
        // Say why nothing arrived: what the run printed and what is left in its spool.
        throw new Error(`${(err as Error).message}\nstderr: ${run.stderr.slice(-1500)}\nspool: ${JSON.stringify(listSpool(env))}`, { cause: err });
      }
      // Something real arrived: the command run, the steps, the third-party spans, metrics.
      const spans = receiver.spans();
      expect(spans.length, 'spans received').toBeGreaterThan(chunk.length * 3);
      expect(spans.some((s) => s.kind === 2 && s.attributes['http.request.method'] === 'GET'), 'http server spans').toBe(true);
      expect(receiver.metrics().some((m) => m.name === 'devtool.command.runs')).toBe(true);
      const encodings = new Set(receiver.requests.map((r) => r.encoding));
      expect([...encodings]).toEqual([protocol === 'http/json' ? 'json' : 'protobuf']);
      // The assertion: none of the planted values, in any request body, in any form.
      const text = receiver.rawBodiesText().toLowerCase();
      const leaked = chunk.filter((e) => text.includes(e.secret.toLowerCase()) || text.includes(JSON.stringify(e.secret).slice(1, -1).toLowerCase()));
      expect(leaked.map((e) => `${e.kind}: ${e.secret.slice(0, 60)}`)).toEqual([]);
      const at = text.indexOf(user.toLowerCase());
      expect(at < 0 ? "" : text.slice(Math.max(0, at - 200), at + 100)).toBe("");
    }
  }, 600_000);
});
