/**
 * The first-run notice: before anything can leave the machine, tell the user what is collected and
 * how to opt out. Once per tool per user (recorded in the user config), on stderr only (stdout belongs
 * to the tool's output and may be piped). In CI, where nobody reads a one-time notice and config dirs
 * are thrown away, a one-line notice every run instead (and throwaway ids: decision.ci).
 *
 * The preload calls maybeShowNotice at the start of an enabled run; spooling and shipping happen at
 * exit, so the notice always precedes the first send.
 */
import { settingsOf } from '../settings/settings';
import type { Level } from '../model/records';
import { toolEnvPrefix, type ToolIdentity } from '../resource/tool';
import type { ConsentDecision } from './resolve';
import { isDebug } from '../settings/env-values';
import { newInstallId, readUserConfig, updateUserConfigDetailed } from './user-config';

export interface TextSink {
  write(text: string): unknown;
}

/** Where people read what is collected when the tool names no page of its own. */
export const DEFAULT_DOCS = 'TELEMETRY.md in the devtool-telemetry package (or run: npx devtool-telemetry schema)';

const WHAT: Record<Exclude<Level, 'off'>, string> = {
  minimal: 'command runs (name, duration, exit code, error class) and OS/runtime/tool versions',
  usage: 'command runs (name, duration, exit code, error class), development steps, LLM request counts, models and token counts, OS/runtime/tool versions',
  full: 'usage data plus content you opted in to (such as prompts), after sanitizing',
};

/** Tools whose notice this process already showed (or decided not to repeat). */
const shownThisRun = new Set<string>();

/**
 * Where the data goes, as a host name only (never credentials, port, path or query): the
 * traces endpoint, which is where command runs are sent.
 */
export function destinationHost(env: NodeJS.ProcessEnv): string {
  try {
    // an invalid endpoint sends nothing (status says so): never name the default host for it
    const url = settingsOf(env).otlp.traces.url;
    return (url && new URL(url).hostname) || 'an unusable endpoint';
  } catch {
    return 'an unusable endpoint';
  }
}

/** The notice text for a decision (exported for tests and for `status`). */
export function noticeText(decision: ConsentDecision, tool: ToolIdentity, env: NodeJS.ProcessEnv = {}): string {
  const name = tool.name ?? 'this tool';
  const level = decision.level === 'off' ? 'usage' : decision.level;
  const docs = tool.options?.docsUrl || DEFAULT_DOCS;
  const optOut = tool.name
    ? `DO_NOT_TRACK=1, ${toolEnvPrefix(tool.name)}_TELEMETRY_DISABLED=1, or: npx devtool-telemetry disable --tool ${tool.name}`
    : 'DO_NOT_TRACK=1, or: npx devtool-telemetry disable --all';
  // The tool does not use us: the preload came from the environment (NODE_OPTIONS set by a CI or
  // platform team). Its authors receive nothing; say who set it up and where the data goes.
  if (tool.integrated === false) {
    const host = destinationHost(env);
    if (decision.ci) {
      return `devtool-telemetry: this environment (not ${name}) records anonymous telemetry about runs of ${name} and sends it to ${host} (level ${level}, throwaway ids in CI); opt out with DO_NOT_TRACK=1. Details: ${DEFAULT_DOCS}\n`;
    }
    return [
      `devtool-telemetry: this environment records anonymous telemetry about runs of ${name} (level ${level}) and sends it to ${host}.`,
      `  Set up by: whoever configured this machine or CI (a devtool-telemetry preload in NODE_OPTIONS or on the node command line), not by ${name}; ${name}'s authors receive nothing.`,
      `  Recorded: ${WHAT[level]}.`,
      `  Never: arguments, file contents, code, prompts, paths, environment values, user or host names.`,
      `  Opt out: ${optOut}`,
      `  Details: ${DEFAULT_DOCS}. This notice is shown once.`,
      '',
    ].join('\n');
  }
  if (decision.ci) {
    return `devtool-telemetry: ${name} records anonymous telemetry (level ${level}, throwaway ids in CI); opt out with DO_NOT_TRACK=1. Details: ${docs}\n`;
  }
  return [
    `devtool-telemetry: ${name} collects anonymous telemetry (level ${level}) to help its authors improve it.`,
    `  Recorded: ${WHAT[level]}.`,
    `  Never: arguments, file contents, code, prompts, paths, environment values, user or host names.`,
    `  Opt out: ${optOut}`,
    `  Details: ${docs}. This notice is shown once.`,
    '',
  ].join('\n');
}

/**
 * Show the notice if this run needs one. Never throws, never writes to stdout. For a persistent
 * identity it also stores a new install id in the same write and sets `decision.installId`.
 * Returns false when this run must not record: the notice is due but cannot be remembered
 * (read-only or untrusted config dir, corrupt file). Showing it anyway would repeat five lines on
 * every run; recording without it would break the promise that the notice precedes the first
 * send. So telemetry stays off for the run, said only under DEVTOOL_TELEMETRY_DEBUG.
 */
export function maybeShowNotice(
  decision: ConsentDecision,
  tool: ToolIdentity,
  env: NodeJS.ProcessEnv,
  out: TextSink = process.stderr,
): boolean {
  try {
    if (decision.level === 'off') return true;
    const key = tool.name ?? '';
    if (shownThisRun.has(key)) return true;
    if (decision.ci) {
      shownThisRun.add(key);
      safeWrite(out, noticeText(decision, tool, env));
      return true;
    }
    const read = readUserConfig(env);
    const entry = key && read.ok ? read.config.tools?.[key] : undefined;
    const shownBefore = key ? Boolean(entry?.noticeShownAt) : Boolean(read.ok && read.config.all?.noticeShownAt);
    const needId = decision.identity === 'install' && !decision.installId;
    if (shownBefore && !needId) {
      shownThisRun.add(key);
      return true;
    }
    let installId: string | undefined;
    const stored = updateUserConfigDetailed(env, (cfg) => {
      if (!shownBefore) {
        const now = new Date().toISOString();
        if (key) {
          cfg.tools ??= {};
          cfg.tools[key] = { ...cfg.tools[key], noticeShownAt: now };
        } else {
          cfg.all = { ...cfg.all, noticeShownAt: now };
        }
      }
      if (needId) cfg.installId ||= newInstallId();
      installId = cfg.installId;
    }, { onCorrupt: 'fail' });
    if (!stored.ok && !shownBefore) {
      if (isDebug(env)) safeWrite(process.stderr, `[devtool-telemetry] debug: telemetry off for this run: the first-run notice cannot be remembered (${stored.file}: ${stored.error}), and it is not repeated on every run\n`);
      return false;
    }
    shownThisRun.add(key);
    if (stored.ok && needId && installId) decision.installId = installId;
    if (!shownBefore) safeWrite(out, noticeText(decision, tool, env));
    return true;
  } catch {
    return false; // the preload stays silent; not recording is the safe side
  }
}

function safeWrite(out: TextSink, text: string): void {
  try {
    out.write(text);
  } catch {
    /* a closed stderr is not our problem to report */
  }
}

/** Tests only: forget which notices this process showed. */
export function _resetNoticeState(): void {
  shownThisRun.clear();
}
