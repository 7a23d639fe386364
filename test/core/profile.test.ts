/**
 * DEVTOOL_TELEMETRY_PROFILE=1 (src/diagnostics/profile.ts): an enabled run prints one line per start-up and
 * exit phase, in the order they happen, with a duration each; without the variable nothing of it
 * appears (the app's stderr is exactly as without us, apart from the first-run notice).
 */
import { describe, expect, it } from 'vitest';
import { runFixture, type Env } from '../support/run-fixture';
import { receiverPerFile, sandboxPerFile } from '../support/hooks';

const sb = sandboxPerFile();
const rx = receiverPerFile();

const PHASES = [
  'node start + preload load',
  'tool identity',
  'consent',
  'runtime load',
  'notice',
  'recording: run',
  'recording: start record',
  'recording: http hooks',
  'recording: child_process hook',
  'recording: LLM client hooks',
  'recording: exit hooks',
  'app',
  'exit: records + resource',
  'exit: sanitize',
  'exit: spool write',
  'exit: kick',
  'exit: start record remove',
];

const profileLines = (stderr: string) => [...stderr.matchAll(/^\[devtool-telemetry\] profile (.+) (\d+\.\d{3})$/gm)];

describe('DEVTOOL_TELEMETRY_PROFILE', () => {
  it('prints every phase once, in order, with a non-negative duration', async () => {
    const env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, DEVTOOL_TELEMETRY_PROFILE: '1' };
    const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
    expect(r.code).toBe(0);
    const lines = profileLines(r.stderr);
    const names = lines.map((m) => m[1]).filter((n) => n !== 'exit: code cache write'); // only when the cache is (re)written
    expect(names).toEqual(PHASES);
    for (const m of lines) expect(Number(m[2])).toBeGreaterThanOrEqual(0);
    // And the process's CPU time per phase, the same phases in the same order.
    const cpu = [...r.stderr.matchAll(/^\[devtool-telemetry\] profile-cpu (.+) (\d+\.\d{3})$/gm)];
    expect(cpu.map((m) => m[1])).toEqual(lines.map((m) => m[1]));
    for (const m of cpu) expect(Number(m[2])).toBeGreaterThanOrEqual(0);
    // Profiling changes nothing else: the run is still delivered.
    await rx.waitFor(() => rx.spans().some((s) => s.name.startsWith('fixture-tool')), 20_000);
  }, 40_000);

  it('prints nothing without the variable, nor with another value', async () => {
    for (const extra of [{}, { DEVTOOL_TELEMETRY_PROFILE: 'yes' }] as Env[]) {
      const env = { ...sb.env, OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, ...extra };
      const r = await runFixture({ script: 'fixture-tool/cli.js', args: ['ok'], env, mode: 'require' });
      expect(r.code).toBe(0);
      expect(r.stderr).not.toContain('profile');
    }
  }, 40_000);
});
