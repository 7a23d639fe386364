/**
 * Sessions: several processes of one tool (an agent running many commands, a user's work burst)
 * grouped under one random id with a bounded lifetime: a session ends after IDLE_MS without a run
 * or MAX_AGE_MS after it started, whichever comes first; the next run starts a new one. A parent
 * may hand its id down with `DEVTOOL_TELEMETRY_SESSION_ID` (a uuid; anything else is ignored).
 *
 * The id is resolved at the first flush (off the start path) and only when the tool's identity
 * mode allows an id at all (`none` keeps no session and writes no file). In CI every run has its
 * own throwaway id (unless a parent hands one down). When a run finds that
 * the previous session has ended, its batch carries that session's summary metrics (totals.ts).
 */
import fs = require('node:fs');
import path = require('node:path');
import { settingsOf } from '../settings/settings';
import { Severity, type Batch, type LogRecordData } from '../model/records';
import type { ToolIdentity } from '../resource/tool';
import { appendTotals, claimHead, createHead, isUuid, readHead, readTotals, removeLogs, sessionFile, trustedSessionsDir, type SessionHead, type SessionRecord } from './store';
import { explainUntrusted } from '../storage/trusted-dir';
import { summaryMetrics, totalsOf } from './totals';
import { processStartNs } from '../recorder/clock';
import { newUuid } from '../recorder/ids';

export const SESSION_ENV = 'DEVTOOL_TELEMETRY_SESSION_ID';
/** A session ends 30 minutes after its last run... */
export const IDLE_MS = 30 * 60_000;
/** ...and never lasts more than a day. */
export const MAX_AGE_MS = 24 * 60 * 60_000;

interface SessionState {
  id: string;
  file: string;
  /** Ended sessions whose summary this process still has to emit (once). */
  ended: SessionRecord[];
  /** session.start / session.end events still to emit (once, by the run that started or ended it). */
  events?: LogRecordData[];
  /** A session of this process alone (CI, the `session` identity, no state dir): it ends with it. */
  perProcess?: boolean;
}

function sessionEvent(name: 'session.start' | 'session.end', atMs: number, attributes: Record<string, string>): LogRecordData {
  return { eventName: name, timeUnixNano: String(BigInt(Math.max(0, Math.floor(atMs))) * 1_000_000n), severityNumber: Severity.INFO, severityText: 'INFO', attributes };
}

const KEY = Symbol.for('devtool-telemetry.session');
type Global = { [KEY]?: SessionState | null };

function processStartMs(): number {
  return Number(processStartNs() / 1_000_000n);
}

/** Is a stored session still open at `now`? */
export function isLive(rec: SessionHead & { lastSeenAt: number }, now: number): boolean {
  return now - rec.lastSeenAt < IDLE_MS && now - rec.startedAt < MAX_AGE_MS && rec.lastSeenAt <= now + 60_000;
}

function toolKey(env: NodeJS.ProcessEnv, tool: ToolIdentity): string {
  return settingsOf(env).serviceName || tool.name || 'node';
}

/**
 * Join the live session, or end the stored one (once, whoever wins the rename) and start a new
 * one (whoever wins the link; the others join it). Lock-free: nothing here ever waits.
 */
function joinOrStart(file: string, state: SessionState, wanted: string | undefined): void {
  const live = (h: ReturnType<typeof readHead>, now: number): boolean => !!h && isLive(h, now) && (!wanted || wanted === h.id);
  for (let attempt = 0; attempt < 4; attempt++) {
    const now = Date.now();
    const head = readHead(file);
    if (head && live(head, now)) {
      state.id = head.id;
      return;
    }
    // The ended session's totals, read before its head is taken: once the head is gone, the run
    // that starts the next session deletes the old logs (removeLogs), maybe before the winner of
    // the rename below has read them, and the summary would be lost.
    const totals = head ? readTotals(file, head.id) : undefined;
    // Take the ended (or unreadable) head away; only the run whose rename succeeds summarizes it.
    // No head at all: nothing to end (claiming then could take away the head another run just made).
    const ended = head !== undefined || fs.existsSync(file) ? claimHead(file) : undefined;
    if (ended && ended.id !== head?.id) {
      // Not the head we read: another run started a session between our read and our rename. Put it
      // back (heads are created whole, by link) and join it on the next pass.
      createHead(file, ended);
      continue;
    }
    let previous: string | undefined;
    if (ended && head && totals && ended.id === head.id) {
      if (totals.runs > 0) state.ended.push({ ...ended, lastSeenAt: head.lastSeenAt, totals });
      if (isUuid(ended.id) && ended.id !== state.id) {
        previous = ended.id;
        (state.events ??= []).push(sessionEvent('session.end', head.lastSeenAt, { 'session.id': ended.id }));
      }
    }
    const startedAt = Math.min(processStartMs(), now);
    const made = createHead(file, { v: 1, id: state.id, startedAt });
    if (made === 'created') {
      removeLogs(file, state.id);
      (state.events ??= []).push(sessionEvent('session.start', startedAt, previous ? { 'session.id': state.id, 'session.previous_id': previous } : { 'session.id': state.id }));
      return;
    }
    if (made === 'failed') {
      // read-only cache: a per-process session
      state.perProcess = true;
      (state.events ??= []).push(sessionEvent('session.start', startedAt, { 'session.id': state.id }));
      return;
    }
    // 'exists': another run started one meanwhile: join it on the next pass
  }
}

/** Where a process stands: in CI (throwaway ids), in a preloaded tree (and the tree's session log). */
export interface SessionOptions {
  ci?: boolean;
  inTree?: boolean;
  treeSessionBase?: string;
}

/**
 * The session id for this process, or undefined for identity `none`. Joins the tool's live session
 * (or the parent's, from the environment), else starts one. Resolved once per process; never throws.
 */
export function resolveSessionId(
  env: NodeJS.ProcessEnv,
  tool: ToolIdentity,
  identity: 'install' | 'session' | 'none',
  opts: SessionOptions = {},
): string | undefined {
  const g = globalThis as Global;
  if (g[KEY] !== undefined) return g[KEY]?.id;
  if (identity === 'none') {
    g[KEY] = null;
    return undefined;
  }
  const fromParent = (env[SESSION_ENV] || '').trim().toLowerCase();
  const wanted = isUuid(fromParent) ? fromParent : undefined;
  if (wanted && opts.inTree) {
    // Started by a preloaded process: one session per process tree. The tree's top-level process
    // owns the session head; we only add our totals to its log, so the summary counts every
    // process of the tree once (and this tool's own session, if one is live, stays untouched).
    let file = '';
    try {
      if (opts.treeSessionBase && !opts.ci) file = path.join(path.dirname(sessionFile(env, 'x')), `${opts.treeSessionBase}.json`);
    } catch {
      /* no cache dir: totals are best effort */
    }
    g[KEY] = { id: wanted, file, ended: [] };
    return wanted;
  }
  let file = '';
  try {
    // Only the `install` identity links processes into a session kept in a file. `session` is the
    // Visivo mode: a new id at each start (or the one a parent hands down), nothing persistent.
    // CI runs get throwaway ids too (a shared runner must not group different jobs).
    if (!opts.ci && identity === 'install') {
      const trust = trustedSessionsDir(env);
      if (trust.ok) file = sessionFile(env, toolKey(env, tool), { fromEnv: !!(env.OTEL_SERVICE_NAME || '').trim() });
      else explainUntrusted(env, 'session state', trust);
    }
  } catch {
    /* no cache dir: a per-process session */
  }
  const state: SessionState = { id: wanted ?? newUuid(), file, ended: [] };
  if (!file && !wanted) {
    state.perProcess = true;
    state.events = [sessionEvent('session.start', processStartMs(), { 'session.id': state.id })];
  }
  if (file) {
    try {
      joinOrStart(file, state, wanted);
    } catch {
      /* the id stands; totals are best effort */
    }
  }
  g[KEY] = state;
  return state.id;
}

/**
 * Called on every flush with the raw batch: adds its totals to the session file and, once, appends
 * the summary metrics of the session this process found ended. No-op without a session.
 */
export function addSessionTotals(batch: Batch, final = false): void {
  const state = (globalThis as Global)[KEY];
  if (!state) return;
  try {
    // session.start / session.end as log-based events: once, by the run that started or ended it.
    if (state.events?.length || (final && state.perProcess)) {
      const events = state.events ?? [];
      state.events = [];
      if (final && state.perProcess) {
        state.perProcess = false;
        events.push(sessionEvent('session.end', Date.now(), { 'session.id': state.id }));
      }
      batch.logs = [...(batch.logs ?? []), ...events];
    }
    if (state.ended.length) {
      const ended = state.ended;
      state.ended = [];
      const start = batch.metrics[0]?.startTimeUnixNano ?? String(BigInt(Date.now()) * 1_000_000n);
      const end = batch.metrics[0]?.timeUnixNano ?? start;
      batch.metrics.push(...summaryMetrics(ended, start, end));
    }
    if (!state.file) return;
    // One atomic append; a run of an already replaced session only adds to an orphan log,
    // which the next session start removes.
    appendTotals(state.file, state.id, totalsOf(batch));
  } catch {
    /* totals are best effort; the batch is sent regardless */
  }
}

/**
 * What a child process needs to join this process's session: the id and the base name of the
 * session file its runs add up in ('' when there is none). Resolves the session if needed.
 */
export function sessionForChildren(
  env: NodeJS.ProcessEnv,
  tool: ToolIdentity,
  identity: 'install' | 'session' | 'none',
  opts: SessionOptions,
): { id?: string; base: string } {
  const id = resolveSessionId(env, tool, identity, opts);
  const file = (globalThis as Global)[KEY]?.file ?? '';
  return { id, base: file ? path.basename(file, '.json') : '' };
}

/** The tool's current session, for `status` (nothing is created). */
export function currentSession(env: NodeJS.ProcessEnv, toolName: string): SessionRecord | undefined {
  try {
    const file = sessionFile(env, toolName);
    const head = readHead(file);
    return head && isLive(head, Date.now()) ? { ...head, totals: readTotals(file, head.id) } : undefined;
  } catch {
    return undefined;
  }
}

/** Delete the tool's session files (`forget`/`reset`): the next run starts a new session. */
export function forgetSession(env: NodeJS.ProcessEnv, toolName: string): boolean {
  try {
    const file = sessionFile(env, toolName);
    removeLogs(file);
    (require('node:fs') as typeof import('node:fs')).rmSync(file, { force: true });
    return true;
  } catch {
    return false;
  }
}
