// The race that ends a session, played step by step in one process: the run that takes the ended
// session's head away (and so must summarize it) is overtaken, right after its rename, by a run
// that starts the next session, which deletes the old session's totals. The summary must survive.
// (session-across-processes.test.ts races real processes; under load it hit this order 1 in 5.)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterEach, expect, it } from 'vitest';
import type { Batch } from '../../src/model/records';
import type { ToolIdentity } from '../../src/resource/tool';
import { addSessionTotals, resolveSessionId } from '../../src/session';
import { appendTotals, createHead, readHead, removeLogs, sessionFile } from '../../src/session/store';
import { ageSession } from './age';

// The CommonJS exports object, the one our modules call renameSync on.
const cjsFs = createRequire(__filename)('node:fs') as typeof fs;
const realRename = cjsFs.renameSync;
const KEY = Symbol.for('devtool-telemetry.session');
const TOOL: ToolIdentity = { name: 'race-tool', options: {}, problems: [] };
const dirs: string[] = [];

afterEach(() => {
  cjsFs.renameSync = realRename;
  delete (globalThis as Record<symbol, unknown>)[KEY];
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function sandboxEnv(): NodeJS.ProcessEnv {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dtt-session-race-'));
  dirs.push(home);
  return { HOME: home, XDG_CACHE_HOME: path.join(home, '.cache'), XDG_CONFIG_HOME: path.join(home, '.config') };
}

/** One run's session work, as a new process would do it: resolve the id, then flush its batch. */
function run(env: NodeJS.ProcessEnv): { id: string | undefined; batch: Batch } {
  delete (globalThis as Record<symbol, unknown>)[KEY];
  const id = resolveSessionId(env, TOOL, 'install');
  const batch: Batch = { v: 1, id: randomUUID(), createdAt: Date.now(), level: 'usage', resource: {}, spans: [], metrics: [] };
  addSessionTotals(batch, true);
  return { id, batch };
}

it('an ended session is summarized by the run that took its head, even when the next session started and cleaned up first', () => {
  const env = sandboxEnv();
  const file = sessionFile(env, TOOL.name!);
  const first = run(env).id!;
  appendTotals(file, first, { runs: 5, steps: 2, llmRequests: 1, tokens: 30, userInputs: 0 });
  ageSession(file, 45, 60);

  // The overtaking run: right after our rename takes the ended head away, it starts the next session
  // exactly as a run that found no head does (createHead, then removeLogs of every other session).
  const next = randomUUID();
  let overtaken: string | undefined;
  cjsFs.renameSync = ((from: fs.PathLike, to: fs.PathLike) => {
    realRename(from, to);
    if (from === file && !overtaken) {
      overtaken = createHead(file, { v: 1, id: next, startedAt: Date.now() });
      removeLogs(file, next);
    }
  }) as typeof fs.renameSync;

  const { id, batch } = run(env);
  expect(overtaken).toBe('created');
  // It joined the session the other run started, and carries the ended one's summary.
  expect(id).toBe(next);
  expect(readHead(file)?.id).toBe(next);
  const summary = batch.metrics.filter((m) => m.name === 'devtool.session.runs').flatMap((m) => m.points);
  expect(summary).toMatchObject([{ count: 1, sum: 5 }]);
});
