/**
 * The start record: how a run is still recorded when its process dies without running any JS.
 *
 * The preload installs no signal listener (that would change how the tool reacts to Ctrl-C, see
 * exit-hooks.ts), so a tool killed by an unhandled signal, by SIGKILL or by a native crash ends
 * without an 'exit' event. To still count that run, the preload writes one small file at start
 * (one open+write+close, no fsync): who the process is (pid, pid namespace and start time, so a
 * reused pid is told apart) and what its command span would be (ids, name, flags, level, tool identity).
 *
 * - The normal exit path (or the self-kill path) flushes the full run and removes the file.
 * - A long-running app's periodic flush touches it: its mtime is the last time the run was known alive.
 * - Otherwise the shipper of the same destination finds it, sees the process gone (or the pid
 *   reused) and finalizes it as an abnormal end (abandoned-runs.ts in the shipper).
 *
 * Only names and enums go in (the same values the command span carries before sanitizing), and the
 * directory is used only when config/trusted-dir.ts trusts it (ours, not writable by others, no link).
 */
import fs = require('node:fs');
import path = require('node:path');
import { trustDir } from '../storage/trusted-dir';
import { destinationDir, spoolRoot } from './layout';

export const RUNS_DIR = 'runs';
export const RUN_SUFFIX = '.run';

export interface StartRecordData {
  v: 1;
  pid: number;
  /**
   * Kernel start time in clock ticks since boot (/proc/<pid>/stat field 22), when known. Not
   * written by the preload (reading /proc at start costs ~0.4 ms): the finalizer compares the
   * kernel's start time of the pid with startNs instead.
   */
  ticks?: string;
  /** PID namespace of the process: another namespace's pids cannot be judged from here. */
  pidns?: string;
  /** Process start, Unix ns (decimal string). */
  startNs: string;
  traceId: string;
  spanId: string;
  /** Command name at start (tool and declared/common subcommand: never an argument value). */
  name: string;
  flags: string[];
  level: string;
  toolName?: string;
  toolVersion?: string;
  /** OTEL_SERVICE_NAME of the run, if set (it names the service). */
  serviceName?: string;
  identity?: string;
  ci: boolean;
  agent?: string;
  installId?: string;
  /** A session id handed down by a parent (DEVTOOL_TELEMETRY_SESSION_ID). */
  sessionId?: string;
  /** process.executable.name of the run (the CLI conventions require it on the command span). */
  exe?: string;
  /**
   * The run's own switches dropped this signal (OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER not
   * `otlp`, OTEL_TRACES_SAMPLER or an unsampled parent): the finalizer must not send it either.
   */
  noSpans?: true;
  noMetrics?: true;
}

export function runsDir(env: NodeJS.ProcessEnv): string {
  return path.join(destinationDir(env), RUNS_DIR);
}

/** A process's kernel start time (clock ticks since boot), where the OS tells it (Linux). */
export function procStartTicks(pid: number | 'self'): string | undefined {
  try {
    return startTicks(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return undefined; // not Linux, or gone
  }
}

/** Our pid namespace (Linux), so a shipper in another namespace leaves our record alone. */
export function pidNamespace(): string | undefined {
  try {
    return fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat (the command name in field 2 may hold spaces and parens). */
export function startTicks(stat: string): string | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const t = fields[19];
  return t && /^\d+$/.test(t) ? t : undefined;
}

export interface StartRecord {
  /** Mark the run as alive now (mtime = last known alive). */
  touch(): void;
  /** The run was recorded in full: the record is no longer needed. */
  remove(): void;
}

/** Write the start record. Never throws; undefined when it cannot be written (read-only home...). */
export function writeStartRecord(data: Omit<StartRecordData, 'v' | 'pid' | 'ticks' | 'pidns'>, env: NodeJS.ProcessEnv): StartRecord | undefined {
  try {
    const dir = runsDir(env);
    const pidns = pidNamespace();
    const record: StartRecordData = { v: 1, pid: process.pid, ...(pidns ? { pidns } : {}), ...data };
    const file = path.join(dir, `${process.pid}-${data.spanId}${RUN_SUFFIX}`);
    // the one gate of every state directory: ours, not writable by others, no link on the way (bounded mkdir)
    if (!trustDir(dir, { create: true, root: spoolRoot(env) }).ok) return undefined;
    // 'wx': never follows or replaces something planted at our name.
    fs.writeFileSync(file, JSON.stringify(record), { mode: 0o600, flag: 'wx' });
    let removed = false;
    return {
      touch() {
        if (removed) return;
        try {
          const now = new Date();
          fs.utimesSync(file, now, now);
        } catch {
          /* finalized by someone who thought us dead, or the disk went away */
        }
      },
      remove() {
        if (removed) return;
        removed = true;
        safeUnlink(file);
      },
    };
  } catch {
    return undefined;
  }
}

function safeUnlink(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    /* gone */
  }
}
