/**
 * Prompt mode, for tool authors who want opt-in (like Angular CLI): ask once, on an interactive
 * terminal only, store the answer. Never in CI, never without a TTY, never under an AI coding agent,
 * never when a source already decided (an opt-out, a stored answer, an explicit level). No answer
 * (timeout, end of input, anything but yes) means no. The preload never asks: a tool's own CLI
 * calls askConsent() when decision.promptPending is set.
 */
import { durationMs } from '../settings/durations';
import { detectTool, type ToolIdentity } from '../resource/tool';
import { detectAgent } from './ai-agent';
import { resolveConsent } from './resolve';
import { updateUserConfig } from './user-config';

export interface AskConsentOptions {
  /** The tool asking; defaults to the one whose package.json is nearest the entry script. */
  tool?: ToolIdentity;
  env?: NodeJS.ProcessEnv;
  /** Defaults to process.stdin. */
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Defaults to process.stderr (stdout belongs to the tool). */
  output?: NodeJS.WritableStream & { isTTY?: boolean };
  /** How long to wait for an answer; default 30 s (1 s to 1 h). */
  timeoutMs?: number;
  cwd?: string;
}

export interface AskConsentResult {
  /** True when the question was put to the user. */
  asked: boolean;
  /** The consent in force afterwards for this tool. */
  granted: boolean;
  /** Why it was (not) asked, or how it was answered. */
  reason: 'answered-yes' | 'answered-no' | 'no-answer' | 'already-decided' | 'ci' | 'agent' | 'no-tty' | 'no-tool' | 'error';
  /** True when the answer was stored in the user config. */
  stored: boolean;
}

export async function askConsent(opts: AskConsentOptions = {}): Promise<AskConsentResult> {
  const env = opts.env ?? process.env;
  const tool = opts.tool ?? detectTool(process.argv[1]);
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stderr;
  try {
    if (!tool?.name) return { asked: false, granted: false, reason: 'no-tool', stored: false };
    const decision = resolveConsent({ env, cwd: opts.cwd ?? process.cwd(), tool: { ...tool, options: { ...tool.options, prompt: true } } });
    if (!decision.promptPending) {
      return { asked: false, granted: decision.level !== 'off', reason: 'already-decided', stored: false };
    }
    if (decision.ci) return { asked: false, granted: false, reason: 'ci', stored: false };
    if (detectAgent(env)) return { asked: false, granted: false, reason: 'agent', stored: false };
    if (!input.isTTY || !output.isTTY) return { asked: false, granted: false, reason: 'no-tty', stored: false };

    const answer = await question(
      input,
      output,
      `${tool.name} would like to send anonymous usage data (commands, durations, errors; never code, prompts or arguments) to help its authors. Allow? [y/N] `,
      // Clamped: a timer of 2^31 ms or more would fire at once; 0 or garbage means the default.
      durationMs(opts.timeoutMs, { fallback: 30_000, min: 1_000, max: 3600_000 }).ms,
    );
    const yes = answer !== undefined && /^\s*y(es)?\s*$/i.test(answer);
    const stored = updateUserConfig(env, (cfg) => {
      cfg.tools ??= {};
      cfg.tools[tool.name as string] = {
        ...cfg.tools[tool.name as string],
        level: yes ? 'usage' : 'off',
        via: 'prompt',
        updatedAt: new Date().toISOString(),
      };
    });
    return { asked: true, granted: yes, reason: yes ? 'answered-yes' : answer === undefined ? 'no-answer' : 'answered-no', stored };
  } catch {
    return { asked: false, granted: false, reason: 'error', stored: false };
  }
}

/** One line from `input`, or undefined on timeout / end of input. */
function question(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  text: string,
  timeoutMs: number,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buffer = '';
    let done = false;
    const finish = (value: string | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.removeListener('error', onEnd);
      input.pause?.();
      if (value === undefined) output.write('\n');
      resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      buffer += chunk.toString();
      const nl = buffer.indexOf('\n');
      if (nl >= 0) finish(buffer.slice(0, nl).replace(/\r$/, ''));
    };
    const onEnd = () => finish(undefined);
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onEnd);
    output.write(text);
    input.resume?.();
  });
}
