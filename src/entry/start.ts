/**
 * `start()`: the entry for apps that do not preload. Part of the runtime bundle, so it starts the
 * recorder directly (the preload's path loads that bundle first: preload.ts). Idempotent.
 */
import type { Level } from '../model/records';
import { beginRecording } from '../recorder/begin';
import { debugLine, gate, type StartOptions } from './gate';

export type { StartOptions } from './gate';

export function start(options?: StartOptions): { enabled: boolean; level: Level } {
  const env = process.env;
  try {
    // {}: the tool's own code started us (tool.integrated), even without options.
    const g = gate(process.argv[1], options ?? {}, env);
    const recorder = g.record ? beginRecording(g.decision, g.tool, env) : g.recorder;
    return { enabled: !!recorder, level: recorder?.level ?? 'off' };
  } catch (err) {
    debugLine(env, `not started: ${(err as Error)?.name ?? 'error'}`);
    return { enabled: false, level: 'off' };
  }
}
