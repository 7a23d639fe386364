/**
 * Is an AI coding agent driving this process? Only the enum value leaves this module, never a
 * variable's content (AI_AGENT's value is matched against a short list of known names). Used by the
 * prompt (never ask an agent a question) and by the resource detector (`devtool.agent`). The variable
 * list follows Next.js `telemetry/detect-agent.ts` and the Vercel CLI.
 */

/** Variables whose mere presence names an agent, in detection order. */
const AGENT_VARS: ReadonlyArray<readonly [string, string]> = [
  ['CURSOR_TRACE_ID', 'cursor'],
  ['CURSOR_AGENT', 'cursor-cli'],
  ['GEMINI_CLI', 'gemini'],
  ['CODEX_SANDBOX', 'codex'],
  ['CODEX_CI', 'codex'],
  ['CODEX_THREAD_ID', 'codex'],
  ['ANTIGRAVITY_AGENT', 'antigravity'],
  ['AUGMENT_AGENT', 'augment'],
  ['OPENCODE_CLIENT', 'opencode'],
  ['CLAUDECODE', 'claude'],
  ['CLAUDE_CODE', 'claude'],
  ['REPL_ID', 'replit'],
  ['COPILOT_MODEL', 'github-copilot'],
  ['COPILOT_ALLOW_ALL', 'github-copilot'],
];

/** `AI_AGENT` values we pass through as they are; anything else becomes `other`. */
const KNOWN_NAMES = new Set([
  'cursor', 'cursor-cli', 'gemini', 'codex', 'antigravity', 'augment', 'opencode', 'claude',
  'replit', 'github-copilot', 'devin', 'windsurf', 'cline', 'aider', 'amp', 'goose', 'v0',
]);

/** The agent's enum name (`claude`, `cursor`, ..., `other`), or undefined when none is detected. */
export function detectAgent(env: NodeJS.ProcessEnv): string | undefined {
  const named = env.AI_AGENT?.trim().toLowerCase();
  if (named) return KNOWN_NAMES.has(named) ? named : 'other';
  for (const [name, value] of AGENT_VARS) {
    if (env[name] !== undefined && env[name] !== '') return value;
  }
  return undefined;
}
