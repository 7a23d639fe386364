/**
 * Prompt mode through the public API, in a real process: an opt-in tool is off until the user
 * answers askConsent(), and without a TTY the question is never asked (no answer means no).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { linkPackage, runFixture } from '../support/run-fixture';
import { harnessPerFile } from './helpers';

const h = harnessPerFile();
let script: string;
beforeAll(() => {
  const dir = path.join(h.sandbox.root, 'prompt-tool');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'prompt-tool', version: '1.0.0', devtoolTelemetry: { prompt: true } }));
  script = path.join(dir, 'cli.js');
  fs.writeFileSync(
    script,
    "const t = require('devtool-telemetry');\n" +
      "t.askConsent().then((r) => console.log(`level=${t.telemetryLevel()} asked=${r.asked} granted=${r.granted} reason=${r.reason}`));\n",
  );
  linkPackage(dir);
});

describe('askConsent() from the public API', () => {
  it('an opt-in tool without a TTY: not asked, stays off, nothing sent or written', async () => {
    const r = await runFixture({ script, args: [], mode: 'require', env: h.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('level=off asked=false granted=false reason=no-tty\n');
    expect(r.stderr).toBe('');
    expect(h.receiver.connections).toBe(0);
    expect(fs.existsSync(path.join(h.sandbox.cacheHome, 'devtool-telemetry'))).toBe(false);
  });
});
