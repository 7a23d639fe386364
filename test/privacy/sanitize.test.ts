import { describe, expect, it } from 'vitest';
import type { Batch, MetricRecord } from '../../src/model/records';
import { createSanitizer, LIMITS, sanitizeBatch } from '../../src/privacy/sanitize';
import { batch, CTX, span } from './helpers';

const s = createSanitizer(CTX);

describe('text scrubbing', () => {
  const table: Array<[string, string]> = [
    ['mail alice.fakeson@example.com today', 'mail {email} today'],
    ['from 192.168.1.105:8080', 'from {ip}:8080'],
    ['peer 2001:db8::ff00:42:8329 and ::1', 'peer {ip} and {ip}'],
    ['https://bob:pw-fake-1@git.example.com/org/repo.git?ref=main#L3', 'https://{host}/org/repo.git'],
    ['GET http://localhost:3000/projects/8812/runs/9f1c2d3e-4b5a-4c6d-8e7f-a0b1c2d3e4f5', 'GET http://localhost:3000/projects/{id}/runs/{id}'],
    ['Authorization: Bearer a1B2c3D4e5F6g7H8i9J0k1L2', 'Authorization: Bearer {token}'],
    ['key=sk-proj-a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6 next', 'key={secret} next'],
    ['AKIAABCDEFGHIJ234567 is mine', '{secret} is mine'],
    ['call +1 (415) 555-0132 now', 'call {number} now'],
    ['card 4111 1111 1111 1111.', 'card {number}.'],
    ['open /home/qfakeuser/.ssh/id_rsa', 'open {path}'],
    ['in /home/qfakeuser/work/acme-app/src', 'in {path}'],
    ['C:\\Users\\someone\\AppData', '{path}'],
    ['user qfakeuser on qfake-laptop.corp.example and qfake-laptop', 'user {user} on {host} and {host}'],
    ['password: "hunter2-fake"', 'password: {secret}'],
    ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----', '{private-key}'],
    ['unterminated -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg', 'unterminated {private-key}'],
    ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlX2Zha2U', 'jwt {token}'],
    ['sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b', 'sha {id}'],
    ['/api/items?api_key=a1b2c3&x=1', '{path}'],
    ['see api/items?api_key=a1b2c3&x=1', 'see api/items'],
    ['{\\"password\\": \\"json-fake-pw-77\\"}', '{\\"password\\": {secret}}'],
    ['"C:\\\\Users\\\\JSmithFake\\\\AppData"', '"{path}"'],
  ];
  it.each(table)('%j', (input, want) => {
    expect(s.text(input)).toBe(want);
  });

  it('caps text and never cuts a token in half', () => {
    const out = s.text('word '.repeat(2000) + 'sk-proj-' + 'a1B2'.repeat(20));
    expect(out.length).toBeLessThanOrEqual(LIMITS.text);
    expect(out).not.toMatch(/sk-proj/);
    const t = createSanitizer(CTX).attributes('resource', { 'os.name': 'word '.repeat(12) + 'abcdefghij' });
    expect(t['os.name']).toBe('word '.repeat(12).trimEnd()); // cap 64: the partial word is dropped whole
  });

  it('treats the owner of the home directory as the user, whatever account runs the process', () => {
    const t = createSanitizer({ level: 'usage', user: 'root', home: '/home/zqowner' });
    expect(t.text('step zqowner done')).toBe('step {user} done');
    expect(createSanitizer({ level: 'usage', home: 'C:\\Users\\ZqOwner' }).text('by zqowner')).toBe('by {user}');
    expect(createSanitizer({ level: 'usage', home: '/srv/app' }).text('by app')).toBe('by app');
  });

  it('returns empty text for non-strings', () => {
    expect(s.text(42 as never)).toBe('');
    expect(s.text(undefined as never)).toBe('');
  });
});

describe('span names', () => {
  it('keeps paths in shape and ids as placeholders', () => {
    expect(s.spanName('GET /projects/8812/runs/abc123def456abc789?q=1')).toBe('GET /projects/{id}/runs/{id}');
    expect(s.spanName('POST /users/:id/keys/{keyId}')).toBe('POST /users/:id/keys/{keyId}');
    expect(s.spanName('chat gpt-4o-mini-2024-07-18')).toBe('chat gpt-4o-mini-2024-07-18');
    expect(s.spanName('fixture-tool deploy sk-ant-api03-a1B2c3D4e5F6g7H8i9J0k1L2')).toBe('fixture-tool deploy {secret}');
    expect(s.spanName('GET /u/alice.fakeson@example.com')).toBe('GET /u/{id}');
    expect(s.spanName('')).toBe('unknown');
    expect(s.spanName(null as never)).toBe('unknown');
    expect(s.spanName('x'.repeat(1000)).length).toBeLessThanOrEqual(LIMITS.spanName);
  });
});

describe('attributes', () => {
  it('drops unknown keys, wrong types and values that fail their rule', () => {
    const out = s.attributes('span', {
      'devtool.command.name': 'fixture-tool build',
      'process.exit.code': 1.5,
      'devtool.command.outcome': 'exploded',
      'process.command_args': ['--token', 'abc'] as never,
      'user.email': 'a@b.co',
      'error.type': 'Error: ENOENT: no such file /home/qfakeuser/x',
      'devtool.command.flags': ['--verbose', '--api-key=sk-fake-123', 'positional', '-v'],
      'devtool.process.cpu.user': Number.NaN,
      'gen_ai.request.temperature': 0.7,
    });
    expect(out).toEqual({
      'devtool.command.name': 'fixture-tool build',
      'devtool.command.flags': ['--verbose', '--api-key', '-v'],
      'gen_ai.request.temperature': 0.7,
    });
  });

  it('allows keys only on their targets', () => {
    expect(s.attributes('resource', { 'devtool.command.name': 'x' })).toEqual({});
    expect(s.attributes('metric', { 'devtool.command.flags': ['--x'] })).toEqual({});
    expect(s.attributes('span', { 'service.name': 'x' })).toEqual({});
    expect(s.attributes('nope' as never, { 'service.name': 'x' })).toEqual({});
  });

  it('normalizes url.path and http.route', () => {
    const out = s.attributes('span', { 'url.path': '/v1/orgs/42/members/c0ffee1234abcd/avatar.png?size=64', 'http.route': '/orgs/:org/members/*' });
    expect(out).toEqual({ 'url.path': '/v1/orgs/{id}/members/{id}/avatar.png', 'http.route': '/orgs/:org/members/*' });
  });

  it('keeps uuids in id keys, lower-cased, and drops anything else there', () => {
    expect(s.attributes('resource', { 'app.installation.id': '0F8E6C1A-2B3D-4E5F-8A9B-0C1D2E3F4A5B' })).toEqual({ 'app.installation.id': '0f8e6c1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b' });
    expect(s.attributes('resource', { 'app.installation.id': 'qfakeuser@example.com' })).toEqual({});
    expect(s.attributes('resource', { 'service.instance.id': '0af7651916cd43dd8448eb211c80319c' })).toEqual({ 'service.instance.id': '0af7651916cd43dd8448eb211c80319c' });
    expect(s.attributes('resource', { 'service.instance.id': '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b' })).toEqual({}); // a sha-1 is a hash, not our id
  });

  it('maps unknown enum values to their fallback, or drops them', () => {
    expect(s.attributes('resource', { 'devtool.agent': 'my-secret-agent' })).toEqual({ 'devtool.agent': 'other' });
    expect(s.attributes('span', { 'http.request.method': 'BREW' })).toEqual({ 'http.request.method': '_OTHER' });
    expect(s.attributes('span', { 'devtool.step.outcome': 'meh' })).toEqual({});
  });

  it('caps the number of attributes and array lengths', () => {
    const many: Record<string, string[]> = { 'devtool.command.flags': Array.from({ length: 500 }, (_, i) => `--flag${i}`) };
    const out = s.attributes('span', many);
    expect((out['devtool.command.flags'] as string[]).length).toBe(64);
  });

  it('survives throwing getters and proxies', () => {
    const evil = Object.defineProperty({ 'error.type': 'TypeError' }, 'devtool.command.name', { enumerable: true, get() { throw new Error('x'); } });
    expect(s.attributes('span', evil)).toEqual({ 'error.type': 'TypeError' });
    const proxy = new Proxy({}, { ownKeys() { throw new Error('nope'); } });
    expect(s.attributes('span', proxy)).toEqual({});
  });

  it('keeps GenAI content at full only, scrubbed', () => {
    const content = '[{"role":"user","content":"my key is sk-proj-a1B2c3D4e5F6g7H8i9J0k1L2m3N4 ok"}]';
    const full = createSanitizer({ ...CTX, level: 'full' }).attributes('span', { 'gen_ai.input.messages': content, 'gen_ai.prompt': 'hi' });
    expect(full['gen_ai.input.messages']).toBe('[{"role":"user","content":"my key is {secret} ok"}]');
    expect(full['gen_ai.prompt']).toBe('hi');
    const usage = createSanitizer({ ...CTX, level: 'usage' }).attributes('span', { 'gen_ai.input.messages': content, 'gen_ai.prompt': 'hi', 'llm.prompts': 'hi' });
    expect(usage).toEqual({});
  });
});

describe('batches', () => {
  it('sanitizes resource, spans, status, events, links and metrics', () => {
    const raw = batch('usage', {
      resource: { 'service.name': 'fixture-tool', 'host.name': 'qfake-laptop', 'process.owner': 'qfakeuser', 'os.type': 'linux' },
      spans: [
        span(
          { 'devtool.command.name': 'fixture-tool build', 'exception.message': 'boom' },
          {
            status: { code: 2, message: 'TypeError: cannot read /home/qfakeuser/secret' },
            events: [
              { name: 'exception', timeUnixNano: '1732440000500000000', attributes: { 'exception.type': 'TypeError', 'exception.message': 'secret', 'exception.stacktrace': 'at /home/qfakeuser/x.js:1' } },
              { name: 'bad time', timeUnixNano: 'yesterday', attributes: {} },
            ],
            links: [
              { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), attributes: { 'devtool.step.name': 'build', junk: 1 } },
              { traceId: 'nope', spanId: 'b'.repeat(16), attributes: {} },
            ],
          },
        ),
        span({}, { traceId: 'not-hex' }),
      ],
      metrics: [
        {
          name: 'devtool.command.runs', unit: '{run}', description: 'written by qfakeuser', type: 'sum',
          startTimeUnixNano: '1', timeUnixNano: '2',
          points: [{ attributes: { 'devtool.command.name': 'fixture-tool build', 'devtool.command.outcome': 'success', 'user.id': 'x' }, value: 1 }, { attributes: {}, value: Number.NaN }],
        },
        { name: 'my.secret.metric', unit: '1', description: '', type: 'sum', startTimeUnixNano: '1', timeUnixNano: '2', points: [{ attributes: {}, value: 1 }] },
      ],
    });
    const out = s.batch(raw);
    expect(out.level).toBe('usage');
    expect(out.resource).toEqual({ 'service.name': 'fixture-tool', 'os.type': 'linux' });
    expect(out.spans).toHaveLength(1);
    const sp = out.spans[0]!;
    expect(sp.attributes).toEqual({ 'devtool.command.name': 'fixture-tool build' });
    expect(sp.status).toEqual({ code: 2, message: 'TypeError' });
    expect(sp.events).toEqual([{ name: 'exception', timeUnixNano: '1732440000500000000', attributes: { 'exception.type': 'TypeError' } }]);
    expect(sp.links).toEqual([{ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), attributes: { 'devtool.step.name': 'build' } }]);
    expect(out.metrics).toHaveLength(1);
    expect(out.metrics[0]!.description).toBe('Command runs.');
    expect(out.metrics[0]!.points).toEqual([{ attributes: { 'devtool.command.name': 'fixture-tool build', 'devtool.command.outcome': 'success' }, value: 1 }]);
    expect(JSON.stringify(out)).not.toMatch(/qfake/);
  });

  it('drops status messages that are not an error class', () => {
    const out = s.batch(batch('usage', { spans: [span({}, { status: { code: 2, message: 'could not connect to 10.0.0.1' } }), span({}, { status: { code: 2, message: 'ENOENT: no such file' } })] }));
    expect(out.spans.map((x) => x.status)).toEqual([{ code: 2 }, { code: 2, message: 'ENOENT' }]);
  });

  it('never raises the level of a batch, and a level-off context sends nothing', () => {
    const content = { 'gen_ai.input.messages': '[]', 'gen_ai.request.model': 'gpt-4o', 'devtool.command.name': 'x' };
    const atUsage = createSanitizer({ ...CTX, level: 'full' }).batch(batch('usage', { spans: [span(content)] }));
    expect(atUsage.level).toBe('usage');
    expect(atUsage.spans[0]!.attributes).toEqual({ 'gen_ai.request.model': 'gpt-4o', 'devtool.command.name': 'x' });
    const atMinimal = createSanitizer({ ...CTX, level: 'minimal' }).batch(batch('full', { spans: [span(content)] }));
    expect(atMinimal.level).toBe('minimal');
    expect(atMinimal.spans[0]!.attributes).toEqual({ 'devtool.command.name': 'x' });
    const off = sanitizeBatch(batch('full', { spans: [span(content)] }), { ...CTX, level: 'off' });
    expect(off).toMatchObject({ level: 'off', spans: [], metrics: [], resource: {} });
    expect(sanitizeBatch(batch('bogus' as never, { spans: [span(content)] }), CTX).level).toBe('minimal');
  });

  it('validates histogram points', () => {
    const h = (p: object): MetricRecord => ({
      name: 'devtool.command.duration', unit: 's', description: '', type: 'histogram', startTimeUnixNano: '1', timeUnixNano: '2',
      points: [{ attributes: {}, count: 1, sum: 0.5, min: 0.5, max: 0.5, bounds: [1, 2], bucketCounts: [1, 0, 0], ...p }],
    });
    expect(s.batch(batch('usage', { metrics: [h({})] })).metrics).toHaveLength(1);
    for (const bad of [{ bucketCounts: [1, 0] }, { bounds: [2, 1] }, { count: -1 }, { sum: Infinity }, { bucketCounts: [1, 0, 0.5] }]) {
      expect(s.batch(batch('usage', { metrics: [h(bad)] })).metrics, JSON.stringify(bad)).toHaveLength(0);
    }
    // a counter posing as a histogram is dropped
    expect(s.batch(batch('usage', { metrics: [{ ...h({}), name: 'devtool.command.runs' }] })).metrics).toHaveLength(0);
  });

  it('caps spans, events and links per batch', () => {
    const ev = Array.from({ length: 100 }, () => ({ name: 'e', timeUnixNano: '1', attributes: {} }));
    const spans = Array.from({ length: LIMITS.spans + 50 }, () => span({}, { events: ev }));
    const out = s.batch(batch('usage', { spans }));
    expect(out.spans).toHaveLength(LIMITS.spans);
    expect(out.spans[0]!.events).toHaveLength(LIMITS.events);
  });

  it('never throws, whatever the batch holds', () => {
    const garbage: unknown[] = [null, undefined, 42, 'x', [], { spans: 'x' }, { spans: [null, 1, { traceId: 5 }] }, { resource: [1, 2] }, { metrics: [{ name: {} }] }];
    for (const g of garbage) expect(() => s.batch(g as Batch)).not.toThrow();
    const evil = new Proxy({}, { get() { throw new Error('trap'); } });
    expect(() => s.batch(evil as Batch)).not.toThrow();
  });

  it('is idempotent and keeps ids and times', () => {
    const raw = batch('full', {
      resource: { 'service.name': 'fixture-tool', 'os.description': 'Ubuntu 24.04 LTS on qfake-laptop' },
      spans: [span({ 'url.path': '/a/123/b', 'gen_ai.output.messages': 'mail me: x.y@example.com' }, { name: 'GET /a/123' })],
    });
    const once = s.batch(raw);
    expect(s.batch(once)).toEqual(once);
    expect(once.id).toBe(raw.id);
    expect(once.createdAt).toBe(raw.createdAt);
    expect(once.spans[0]!.startTimeUnixNano).toBe(raw.spans[0]!.startTimeUnixNano);
    expect(once.resource['os.description']).toBe('Ubuntu 24.04 LTS on {host}');
  });

  it('does not mutate its input', () => {
    const raw = batch('usage', { spans: [span({ 'devtool.command.name': 'x', junk: 'y' })] });
    const copy = JSON.parse(JSON.stringify(raw));
    s.batch(raw);
    expect(raw).toEqual(copy);
  });
});
