/**
 * How a run stays known when its process dies without running JS (an unhandled signal, SIGKILL, a
 * native crash): the start record, written before the app's code runs (spool/start-record.ts), then
 * kept fresh by the heartbeat (heartbeat.ts) and the periodic flush, and removed by the normal exit
 * path. The shipper finalizes a record whose process is gone as an `abnormal` run. Nothing is
 * written under debug, which writes nothing to disk.
 */
import type { ConsentDecision } from '../consent/resolve';
import type { ToolIdentity } from '../resource/tool';
import { settingsOf } from '../settings/settings';
import { writeStartRecord, type StartRecord } from '../spool/start-record';
import { spooledSignals } from './emit';
import { startHeartbeat, type Heartbeat } from './heartbeat';
import type { InheritedContext } from './propagation';
import { EXECUTABLE_NAME, type Run } from './run';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Liveness {
  /** The run is alive now (the periodic flush calls it). */
  touch(): void;
  /** Starts the heartbeat once the flush interval is known. */
  beat(flushEveryMs: number): void;
  /** The run ended through its exit path: nothing left to finalize. */
  ended(): void;
}

export interface LivenessInput {
  run: Run;
  tool: ToolIdentity;
  decision: ConsentDecision;
  env: NodeJS.ProcessEnv;
  flags: string[];
  inherited: InheritedContext;
}

export function startLiveness({ run, tool, decision, env, flags, inherited }: LivenessInput): Liveness {
  const identity = decision.identity;
  const handed = env.DEVTOOL_TELEMETRY_SESSION_ID;
  const kept = spooledSignals(env, run.traceId);
  const record: StartRecord | undefined = writeStartRecord(
    {
      startNs: run.root.startNs.toString(),
      traceId: run.traceId,
      spanId: run.root.spanId,
      ...(inherited.parent ? { parentSpanId: inherited.parent.spanId } : {}),
      ...(inherited.link ? { link: { traceId: inherited.link.traceId, spanId: inherited.link.spanId } } : {}),
      name: run.commandName,
      flags,
      level: decision.level,
      toolName: tool.name,
      toolVersion: tool.version,
      serviceName: settingsOf(env).serviceName,
      identity,
      ci: decision.ci,
      agent: (require('../consent/ai-agent') as typeof import('../consent/ai-agent')).detectAgent(env),
      installId: identity === 'install' ? decision.installId : undefined,
      sessionId: identity !== 'none' && handed && UUID.test(handed) ? handed : undefined,
      exe: EXECUTABLE_NAME,
      ...(!kept.spans || !run.sampled ? { noSpans: true as const } : {}),
      ...(!kept.metrics ? { noMetrics: true as const } : {}),
    },
    env,
  );
  let heartbeat: Heartbeat | undefined;
  return {
    touch: () => record?.touch(),
    beat(flushEveryMs) {
      // Until the periodic flush's first touch: 1, 2, 4, ... s, so a killed run's end is close.
      if (record) heartbeat = startHeartbeat(() => record.touch(), flushEveryMs);
    },
    ended() {
      heartbeat?.stop();
      record?.remove();
    },
  };
}
