/**
 * Consent is checked again before every request, not only when recording: a user who runs
 * `devtool-telemetry disable` (or an administrator who installs a policy, a team that commits a
 * project file) after some runs were spooled must not see those runs leave the machine later, even
 * when a shipper is already running and waiting for the collector.
 *
 * Same resolver as the preload and the CLI, with the shipper's environment (inherited from the run
 * that started it; the environment of a process does not change, so only files can), for the
 * identity recorded with the batch (`Batch.origin`: tool package name, working directory, the
 * tool's consent options). Never by `service.name`: OTEL_SERVICE_NAME is a display name, and
 * keying consent by it would let any run bypass a tool's opt-out. Batches written before origins
 * existed fall back to `service.name`.
 *
 * Cheap: a decision is cached with a stamp (inode, size, mtime, ctime, mode, owner) of every file
 * it read: the policy file(s), the user config and its directory, the project files from the
 * recorded working directory up. `refresh()` (once per request) re-stats them; only a changed
 * stamp re-runs the resolver.
 */
import fs = require('node:fs');
import path = require('node:path');
import { configDir, policyFiles, PROJECT_FILE, userConfigFile } from '../storage/paths';
import { resolveConsent } from '../consent/resolve';
import type { BatchOrigin, Level } from '../model/records';
import { minLevel } from '../model/levels';

type Env = NodeJS.ProcessEnv;

/** As far up as the resolver walks for project files (sources.ts). */
const MAX_UP = 64;

function stamp(file: string): string {
  try {
    const st = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
    if (!st) return '-';
    return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.mode}:${st.uid}`;
  } catch (e) {
    return `!${(e as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

export class ConsentCheck {
  private readonly cache = new Map<string, { stamp: string; level: Level }>();
  /** Stamps of the files every decision reads, as of the last refresh(). */
  private globalStamp = '';
  /** Project-file stamps per working directory, for the current refresh() round. */
  private projectStamps = new Map<string, string>();

  constructor(
    private readonly env: Env,
    /** For batches with no recorded working directory. */
    private readonly fallbackCwd: string,
  ) {
    this.refresh();
  }

  /** Re-stat the files decisions depend on; call before each request. */
  refresh(): void {
    // The machine policy and an added one: both apply, so both are watched.
    const files = new Set([...policyFiles(this.env), userConfigFile(this.env), configDir(this.env)]);
    this.globalStamp = [...files].map((f) => `${f}=${stamp(f)}`).join('|');
    this.projectStamps = new Map();
  }

  private projectStamp(cwd: string): string {
    let s = this.projectStamps.get(cwd);
    if (s !== undefined) return s;
    const parts: string[] = [];
    let dir = path.resolve(cwd);
    for (let i = 0; i < MAX_UP; i++) {
      parts.push(stamp(path.join(dir, PROJECT_FILE)));
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    s = parts.join('|');
    this.projectStamps.set(cwd, s);
    return s;
  }

  /** The level consent allows now for what `origin` (or, for old batches, `serviceName`) recorded. */
  levelNow(origin: BatchOrigin | undefined, serviceName?: unknown): Level {
    const legacy = typeof serviceName === 'string' && serviceName ? serviceName : undefined;
    const tool = origin ? origin.tool : legacy;
    const cwd = origin?.cwd ?? this.fallbackCwd;
    const key = JSON.stringify([tool ?? null, cwd, origin?.prompt === true, origin?.defaultLevel ?? null]);
    const st = `${this.globalStamp}#${this.projectStamp(cwd)}`;
    const hit = this.cache.get(key);
    if (hit && hit.stamp === st) return hit.level;
    const options: { prompt?: boolean; defaultLevel?: Level } = {};
    if (origin?.prompt) options.prompt = true;
    if (origin?.defaultLevel) options.defaultLevel = origin.defaultLevel as Level;
    const level = resolveConsent({ env: this.env, cwd, tool: { ...(tool ? { name: tool } : {}), options, problems: [] } }).level;
    this.cache.set(key, { stamp: st, level });
    return level;
  }

  /** min(recorded level, level now). */
  allowed(recorded: Level, origin: BatchOrigin | undefined, serviceName?: unknown): Level {
    return minLevel(recorded, this.levelNow(origin, serviceName));
  }

  /** The lowest level any of `origins` allows now ('off' wins): for metric streams fed by many runs. */
  lowest(origins: BatchOrigin[] | undefined, serviceName?: unknown): Level {
    if (!origins || origins.length === 0) return this.levelNow(undefined, serviceName);
    let l: Level = 'full';
    for (const o of origins) {
      l = minLevel(l, this.levelNow(o));
      if (l === 'off') break;
    }
    return l;
  }
}
