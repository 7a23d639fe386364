/**
 * The "never change the tool" harness: run any command line twice, plain and under the preload
 * (through NODE_OPTIONS, as a CI or platform team would set it, so it reaches `npx`, bin shims and
 * children), deliver the same signal schedule to both, and diff everything a caller can observe:
 * stdout bytes, stderr bytes (less our first-run notice), exit code, terminating signal, whether
 * it died at all, and how long it took to die after the last signal.
 *
 * General on purpose: point it at a CLI it has never seen (`compareRuns({ command: 'npx', args:
 * ['some-cli', ...] })`). Signals go to the process group by default, as a terminal's Ctrl-C does;
 * `pty: true` runs the command on a pseudo-terminal (util-linux `script`), where `ctrl-c` types
 * the real ^C byte and the terminal driver (or the tool's raw-mode handler) turns it into SIGINT.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { stripNotice } from '../core/helpers';
import type { Env } from './sandbox';

/** COMPARE_REGISTER points the harness at another build (e.g. an older one, to show what it broke). */
const REGISTER = process.env.COMPARE_REGISTER || path.resolve(__dirname, '..', '..', 'dist', 'cjs', 'register.js');

export interface SignalStep {
  /** A signal name, or `ctrl-c` (the ^C byte on a pty; SIGINT to the group otherwise). */
  signal: NodeJS.Signals | 'ctrl-c';
  /** Send once the output (stdout, or the pty) contains this text... */
  whenOutputIncludes?: string;
  /** ...and/or this long after that (or after the previous step, or after spawn). */
  afterMs?: number;
  /** `group` (default: what a terminal does) or just the spawned `process`. */
  target?: 'group' | 'process';
}

export interface CompareOptions {
  command: string;
  args?: string[];
  /** The complete environment (a sandbox env with OTEL_EXPORTER_OTLP_ENDPOINT). */
  env: Env;
  cwd?: string;
  schedule?: SignalStep[];
  /** Run on a pseudo-terminal (stdout and stderr then share the terminal's output). */
  pty?: boolean;
  /** SIGKILL the group after this long (counted as "survived"). Default 15 s. */
  timeoutMs?: number;
  /** Applied to both runs' outputs before comparing (e.g. drop a spinner's time-dependent frames). */
  normalize?: (text: string) => string;
  /** How the preload is added: NODE_OPTIONS (default) or `--require` (the command must be node). */
  preload?: 'node-options' | 'require';
  /** How long after the signal the preloaded run may take to die, when the plain one died. Default 1000 ms. */
  dieWithinMs?: number;
}

export interface Observation {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  /** From the last signal sent to the exit; undefined when no signal was sent. */
  signalToExitMs?: number;
  /** The harness had to SIGKILL it: the signals did not end it. */
  survived: boolean;
  pid: number;
  ms: number;
}

export interface Comparison {
  plain: Observation;
  preloaded: Observation;
  /** Human-readable differences; empty when the preload changed nothing observable. */
  diffs: string[];
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Run once and observe. `preloaded` adds our preload as `opts.preload` says. */
export function observe(opts: CompareOptions, preloaded: boolean): Promise<Observation> {
  const env: Env = { ...opts.env };
  let args = [...(opts.args ?? [])];
  let command = opts.command;
  if (preloaded) {
    if (opts.preload === 'require') args = ['--require', REGISTER, ...args];
    else env.NODE_OPTIONS = `${env.NODE_OPTIONS ? env.NODE_OPTIONS + ' ' : ''}--require ${shellQuote(REGISTER)}`;
  }
  if (opts.pty) {
    // -q quiet, -f flush at once, -e exit with the child's status (128+n when a signal ended it).
    // A fixed terminal size: a 0x0 pty makes spinners redraw without end.
    args = ['-qfec', `stty cols 100 rows 30; exec ${[command, ...args].map(shellQuote).join(' ')}`, '/dev/null'];
    command = 'script';
  }
  const timeoutMs = opts.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { cwd: opts.cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let text = '';
    let lastSignalAt: number | undefined;
    let survived = false;
    let step = 0;
    let stepTimer: NodeJS.Timeout | undefined;
    let exited = false;

    const send = (s: SignalStep) => {
      if (exited) return;
      lastSignalAt = performance.now();
      try {
        if (s.signal === 'ctrl-c' && opts.pty) child.stdin.write('\x03');
        else {
          const sig = s.signal === 'ctrl-c' ? 'SIGINT' : s.signal;
          if ((s.target ?? 'group') === 'group') process.kill(-child.pid!, sig);
          else child.kill(sig);
        }
      } catch {
        /* already gone */
      }
    };
    // Steps run in order: each waits for its marker, then its delay.
    const arm = () => {
      const s = opts.schedule?.[step];
      if (!s || stepTimer) return;
      if (s.whenOutputIncludes && !text.includes(s.whenOutputIncludes)) return;
      stepTimer = setTimeout(() => {
        stepTimer = undefined;
        step++;
        send(s);
        arm();
      }, s.afterMs ?? 0);
    };
    const killer = setTimeout(() => {
      survived = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);

    child.stdout.on('data', (d: Buffer) => {
      out.push(d);
      text += d.toString('utf8');
      arm();
    });
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => {
      clearTimeout(killer);
      reject(e);
    });
    let exit: { code: number | null; signal: NodeJS.Signals | null; at: number } | undefined;
    child.on('exit', (code, signal) => {
      exited = true;
      exit = { code, signal, at: performance.now() };
      if (stepTimer) clearTimeout(stepTimer);
      // Whatever it left in its group (a server it started) goes now; the output may close later.
      setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* none left */
        }
      }, 200);
    });
    child.on('close', () => {
      clearTimeout(killer);
      child.stdin.destroy();
      const e = exit!;
      resolve({
        code: e.code,
        signal: e.signal,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err),
        signalToExitMs: lastSignalAt === undefined ? undefined : e.at - lastSignalAt,
        survived,
        pid: child.pid!,
        ms: e.at - t0,
      });
    });
    arm();
  });
}

/** Our first-run notice is the one allowed difference (on stderr, or in a pty's shared output). */
function withoutNotice(buf: Buffer): string {
  return stripNotice(buf.toString('utf8').replace(/\r\n/g, '\n'));
}

/** Run plain, then preloaded, and diff. */
export async function compareRuns(opts: CompareOptions): Promise<Comparison> {
  const plain = await observe(opts, false);
  const preloaded = await observe(opts, true);
  const norm = opts.normalize ?? ((s: string) => s);
  const diffs: string[] = [];
  const show = (s: string) => JSON.stringify(s.length > 400 ? `${s.slice(0, 400)}…` : s);
  if (preloaded.code !== plain.code) diffs.push(`exit code: plain ${plain.code}, preloaded ${preloaded.code}`);
  if (preloaded.signal !== plain.signal) diffs.push(`signal: plain ${plain.signal}, preloaded ${preloaded.signal}`);
  if (preloaded.survived !== plain.survived) diffs.push(`survived the signals: plain ${plain.survived}, preloaded ${preloaded.survived}`);
  const [po, qo] = [norm(withoutNotice(plain.stdout)), norm(withoutNotice(preloaded.stdout))];
  if (po !== qo) diffs.push(`stdout: plain ${show(po)}, preloaded ${show(qo)}`);
  const [pe, qe] = [norm(withoutNotice(plain.stderr)), norm(withoutNotice(preloaded.stderr))];
  if (pe !== qe) diffs.push(`stderr: plain ${show(pe)}, preloaded ${show(qe)}`);
  const within = opts.dieWithinMs ?? 1000;
  if (!plain.survived && plain.signalToExitMs !== undefined && plain.signalToExitMs <= within) {
    if (preloaded.signalToExitMs === undefined || preloaded.signalToExitMs > within) {
      diffs.push(`time to die: plain ${plain.signalToExitMs.toFixed(0)} ms, preloaded ${preloaded.signalToExitMs?.toFixed(0)} ms (limit ${within} ms)`);
    }
  }
  return { plain, preloaded, diffs };
}

/** One row of the comparison table (README / issue closing note). */
export function tableRow(name: string, c: Comparison): string {
  const o = (x: Observation) => `${x.signal ?? x.code}${x.survived ? ' (survived)' : ''}`;
  const ms = (x: Observation) => (x.signalToExitMs === undefined ? '-' : `${x.signalToExitMs.toFixed(0)}`);
  return `| ${name} | ${o(c.plain)} | ${o(c.preloaded)} | ${ms(c.plain)} | ${ms(c.preloaded)} | ${c.diffs.length ? c.diffs.join('; ') : 'none'} |`;
}
