/**
 * Consent is checked again when sending, not only when recording: a user who runs
 * `devtool-telemetry disable` (or an administrator who installs a policy) after some runs were
 * spooled must not see those runs leave the machine later. Same resolver as the preload and the
 * CLI, with the shipper's environment (inherited from the run that started it), for the tool named
 * by the batch's `service.name`. Project opt-out files are not re-read: the run's own working
 * directory is not known here, and the run already honoured them when it recorded.
 */
import { resolveConsent } from '../consent/resolve';
import type { Level } from '../model';
import { LEVELS } from '../model';

type Env = NodeJS.ProcessEnv;

/** The level a batch may still be sent at: its own, lowered by what consent says now. */
export class ConsentCheck {
  private readonly cache = new Map<string, Level>();
  constructor(
    private readonly env: Env,
    private readonly cwd: string,
  ) {}

  levelNow(serviceName: unknown): Level {
    const name = typeof serviceName === 'string' && serviceName ? serviceName : '';
    let level = this.cache.get(name);
    if (level === undefined) {
      level = resolveConsent({ env: this.env, cwd: this.cwd, tool: { ...(name ? { name } : {}), options: {}, problems: [] } }).level;
      this.cache.set(name, level);
    }
    return level;
  }

  /** min(recorded level, level now). */
  allowed(recorded: Level, serviceName: unknown): Level {
    const now = this.levelNow(serviceName);
    return LEVELS.indexOf(now) < LEVELS.indexOf(recorded) ? now : recorded;
  }
}
