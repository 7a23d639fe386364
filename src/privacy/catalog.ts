/**
 * The attribute catalog: the single source of truth for every key the distribution may emit on a
 * resource, span, span event or metric point, with its type, the lowest level that allows it, its
 * value rule, a description and an example. The sanitizer drops every key not listed here (or
 * listed only at a higher level); TELEMETRY.md and `devtool-telemetry schema` are rendered from it.
 *
 * Tool authors extend it at run time with `defineAttributes` (through the public API), under the
 * same value rules: an extension cannot redefine a built-in key, claim a reserved namespace, or
 * allow free text below `full`. Pure: no I/O, no OpenTelemetry.
 */
import { RECORDING_LEVELS, type RecordingLevel } from '../model/levels';
import * as sc from './semconv';
import { describeRule, FREE_TEXT_KINDS, rule, validateRule, type ValueRule } from './rules';

export type { ValueRule } from './rules';
export { rule } from './rules';
/** The log-based events (the event half of the catalog), for TELEMETRY.md and model/. */
export { EVENTS, type EventSpec } from './events';

export type AttributeType = 'string' | 'int' | 'double' | 'boolean' | 'string[]' | 'int[]';
export type CatalogLevel = RecordingLevel;
export type AttributeTarget = 'resource' | 'span' | 'event' | 'metric';

export interface AttributeSpec {
  key: string;
  type: AttributeType;
  /** Lowest level at which the key may be emitted. */
  level: CatalogLevel;
  /** Where it may appear. */
  on: readonly AttributeTarget[];
  rule: ValueRule;
  description: string;
  example: string | number | boolean | string[] | number[];
  /** Why we collect it (shown in TELEMETRY.md). */
  why?: string;
}

export interface MetricSpec {
  name: string;
  unit: string;
  instrument: 'counter' | 'histogram';
  level: CatalogLevel;
  description: string;
  /** Point attribute keys (each also a catalog entry allowed `on: metric`). */
  attributes: readonly string[];
  buckets?: readonly number[];
}

export const CATALOG_LEVELS: readonly CatalogLevel[] = RECORDING_LEVELS;

const R: AttributeTarget[] = ['resource'];
const S: AttributeTarget[] = ['span'];
const SM: AttributeTarget[] = ['span', 'metric'];
const SE: AttributeTarget[] = ['span', 'event'];
const SEM: AttributeTarget[] = ['span', 'event', 'metric'];

function a(
  key: string,
  type: AttributeType,
  level: CatalogLevel,
  on: AttributeTarget[],
  r: ValueRule,
  description: string,
  example: AttributeSpec['example'],
  why?: string,
): AttributeSpec {
  return Object.freeze({ key, type, level, on: Object.freeze(on), rule: r, description, example, ...(why ? { why } : {}) });
}

const OUTCOME = rule.enum(['success', 'failure', 'interrupted', 'abnormal']);
const STEP_OUTCOME = rule.enum(['success', 'failure']);
const AGENTS = ['cursor', 'cursor-cli', 'claude', 'codex', 'gemini', 'github-copilot', 'replit', 'opencode', 'augment', 'antigravity', 'other'];
const MEMORY_BUCKETS = ['0-2GiB', '2-4GiB', '4-8GiB', '8-16GiB', '16-32GiB', '32-64GiB', '64-128GiB', '128-256GiB', '256+GiB'];
const SIGNALS = [
  'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGKILL', 'SIGABRT', 'SIGSEGV', 'SIGPIPE', 'SIGBREAK',
  'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGTRAP', 'SIGXCPU', 'SIGXFSZ',
];
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY'];
const GB = 2 ** 30;

const WHY_COMPAT = 'Which platforms to support and test on.';
const WHY_RUNS = 'How often commands run, how long they take and how often they fail.';
const WHY_LLM = 'Cost and latency of model calls, and which models and providers to support.';

/** Built-in keys. Order is the order of TELEMETRY.md. */
export const CATALOG: readonly AttributeSpec[] = Object.freeze([
  // ---- resource: the tool and the platform
  a(sc.ATTR_SERVICE_NAME, 'string', 'minimal', R, rule.name(128), 'Tool name (package.json `name`).', 'fixture-tool', 'Which tool the records belong to.'),
  a(sc.ATTR_SERVICE_VERSION, 'string', 'minimal', R, rule.version(), 'Tool version (package.json `version`).', '1.4.2', 'Which releases are in use, and which fail.'),
  a(sc.ATTR_SERVICE_INSTANCE_ID, 'string', 'minimal', R, rule.id(), 'Random id of one metric stream, set by the shipper.', '5b8c1f0e-3f6a-4c1e-9d2a-7e4b6c8d9a01', 'Lets the collector add up metrics from many runs correctly.'),
  a(sc.ATTR_OS_TYPE, 'string', 'minimal', R, rule.word(32), 'Operating system family.', 'linux', WHY_COMPAT),
  a(sc.ATTR_OS_VERSION, 'string', 'usage', R, rule.version(), 'Operating system (kernel) version.', '6.1.0-18-amd64', WHY_COMPAT),
  a(sc.ATTR_OS_NAME, 'string', 'usage', R, rule.text(64), 'Operating system or Linux distribution name.', 'Debian GNU/Linux', WHY_COMPAT),
  a(sc.ATTR_OS_DESCRIPTION, 'string', 'usage', R, rule.text(128), 'Distribution and release, as the OS describes itself.', 'Debian GNU/Linux 12 (bookworm)', WHY_COMPAT),
  a(sc.ATTR_HOST_ARCH, 'string', 'minimal', R, rule.word(16, true), 'CPU architecture.', 'amd64', WHY_COMPAT),
  a(sc.ATTR_PROCESS_RUNTIME_NAME, 'string', 'minimal', R, rule.word(32), 'Runtime name.', 'nodejs', WHY_COMPAT),
  a(sc.ATTR_PROCESS_RUNTIME_VERSION, 'string', 'minimal', R, rule.version(), 'Runtime version.', '20.20.0', WHY_COMPAT),
  a(sc.ATTR_PROCESS_RUNTIME_DESCRIPTION, 'string', 'usage', R, rule.text(64), 'Runtime description.', 'Node.js', WHY_COMPAT),
  a(sc.ATTR_TELEMETRY_SDK_NAME, 'string', 'minimal', R, rule.name(64), 'Telemetry SDK name.', 'devtool-telemetry'),
  a(sc.ATTR_TELEMETRY_SDK_LANGUAGE, 'string', 'minimal', R, rule.word(16, true), 'Telemetry SDK language.', 'nodejs'),
  a(sc.ATTR_TELEMETRY_SDK_VERSION, 'string', 'minimal', R, rule.version(), 'Telemetry SDK version.', '0.1.0'),
  a(sc.ATTR_TELEMETRY_DISTRO_NAME, 'string', 'minimal', R, rule.name(64), 'OpenTelemetry distribution name.', 'devtool-telemetry'),
  a(sc.ATTR_TELEMETRY_DISTRO_VERSION, 'string', 'minimal', R, rule.version(), 'OpenTelemetry distribution version.', '0.1.0'),
  a('devtool.ci', 'boolean', 'usage', R, rule.boolean(), 'Whether the tool runs in CI.', false, 'CI runs are counted apart from people.'),
  a('devtool.ci.vendor', 'string', 'usage', R, rule.word(32, true), 'CI vendor, as a lower-case word.', 'github_actions', 'Which CI systems to support.'),
  a('devtool.container', 'boolean', 'usage', R, rule.boolean(), 'Whether the tool runs inside a container.', false, WHY_COMPAT),
  a('devtool.agent', 'string', 'usage', R, rule.enum(AGENTS, 'other'), 'AI coding agent driving the tool, if any.', 'claude', 'How much of the use comes from AI agents.'),
  a(sc.ATTR_APP_INSTALLATION_ID, 'string', 'usage', R, rule.id(), 'Random anonymous id of this installation (reset with `devtool-telemetry reset`).', '0f8e6c1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b', 'Counts installations without knowing who uses them.'),
  a(sc.ATTR_SESSION_ID, 'string', 'usage', ['resource', 'event'], rule.id(), 'Random id of one run or session (on the resource; on session.start/session.end events too).', '9a7b5c3d-1e2f-4a6b-8c0d-2e4f6a8b0c1d', 'Groups the records of one run.'),
  a(sc.ATTR_SESSION_PREVIOUS_ID, 'string', 'usage', ['event'], rule.id(), 'Id of the session that ended before this one started (session.start events).', '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f', 'Tells a new session from a continued one.'),
  a('devtool.host.cpu.count', 'int', 'usage', R, rule.int(1, 4096), 'Number of logical CPUs.', 8, WHY_COMPAT),
  a('devtool.host.memory.total.bucket', 'string', 'usage', R, rule.enum(MEMORY_BUCKETS), 'Total memory as a coarse bucket.', '8-16GiB', WHY_COMPAT),

  // ---- command runs
  a('devtool.command.name', 'string', 'minimal', SM, rule.name(128), 'Command run: the tool name and its subcommand (never argument values).', 'fixture-tool build', WHY_RUNS),
  a('devtool.command.outcome', 'string', 'minimal', SM, OUTCOME, 'How the run ended: `interrupted` when a signal ended it, `abnormal` when the process died without running its exit path (an unhandled signal, SIGKILL or a crash; its end time is then the last time it was known alive).', 'success', WHY_RUNS),
  a('devtool.command.flags', 'string[]', 'usage', S, rule.flag(), 'Names of the flags used (never their values).', ['--verbose', '--watch'], 'Which options people use.'),
  a(sc.ATTR_PROCESS_EXIT_CODE, 'int', 'minimal', S, rule.int(-2147483648, 4294967295), 'Process exit code.', 0, WHY_RUNS),
  a(sc.ATTR_ERROR_TYPE, 'string', 'minimal', SEM, rule.errorType(), 'Error class name or error code (never the message); the exit code when a run exits non-zero without an exception; the status code of a failed HTTP request.', 'ENOENT', 'Which errors happen most.'),
  a(sc.ATTR_EXCEPTION_TYPE, 'string', 'minimal', ['event'], rule.errorType(), 'Exception class name on exception events (message and stack are dropped below `full`).', 'TypeError', 'Which errors happen most.'),
  a(sc.ATTR_EXCEPTION_MESSAGE, 'string', 'full', ['event'], rule.content(), 'Exception message on exception events. Only with the "full" level, and scrubbed even then; never the stack.', 'Cannot read properties of undefined', 'Debugging failures, for people who opt in to content.'),
  a('devtool.process.signal', 'string', 'minimal', S, rule.enum(SIGNALS), 'Signal that ended the run.', 'SIGINT', WHY_RUNS),
  a('devtool.process.cpu.user', 'double', 'usage', S, rule.double(0, 1e7), 'User CPU time of the run, seconds.', 0.42, 'Performance of the tool.'),
  a('devtool.process.cpu.system', 'double', 'usage', S, rule.double(0, 1e7), 'System CPU time of the run, seconds.', 0.05, 'Performance of the tool.'),
  a('devtool.process.memory.peak', 'int', 'usage', S, rule.int(0, 1024 * GB), 'Peak resident memory, bytes.', 73400320, 'Performance of the tool.'),
  a('devtool.process.memory.heap', 'int', 'usage', S, rule.int(0, 1024 * GB), 'JavaScript heap used at exit, bytes.', 12582912, 'Performance of the tool.'),
  a(sc.ATTR_CPU_MODE, 'string', 'usage', ['metric'], rule.enum(['user', 'system']), 'CPU mode of a `process.cpu.time` point.', 'user', 'Performance of the tool.'),
  // ---- the run's own command span and, at `usage`, the caller's CLIENT span of a child process
  // (CLI conventions: span.cli.internal requires both; span.cli.client names the child by them)
  a(sc.ATTR_PROCESS_EXECUTABLE_NAME, 'string', 'minimal', S, rule.name(64), 'Base name of an executable, never a path or arguments: on the command span the runtime running the tool (such as `node`); on a child-process span (`usage`) the program the tool started.', 'node', 'How often commands run; which child processes a run waits for, and which fail.'),
  a(sc.ATTR_PROCESS_PID, 'int', 'minimal', S, rule.int(0, 4294967295), 'Process id: of the run on its command span (required by the CLI conventions); of the child on a child-process span (`usage`), linking the caller\'s span to the child\'s run.', 41237, 'Tells apart runs and children of one run.'),

  // ---- development steps, user input, features
  a('devtool.step.name', 'string', 'usage', SM, rule.name(64), 'Name of a development step the tool declares.', 'install-deps', 'Which steps are slow or fail.'),
  a('devtool.step.outcome', 'string', 'usage', SM, STEP_OUTCOME, 'How the step ended.', 'success', 'Which steps are slow or fail.'),
  a('devtool.user_input.kind', 'string', 'usage', SM, rule.word(32, true), 'Kind of input the user gave (never the input itself).', 'confirm', 'How often tools have to ask people.'),
  a('devtool.feature.name', 'string', 'usage', SEM, rule.name(64), 'Name of a feature the tool declares as used.', 'watch-mode', 'Which features are used.'),
  a('devtool.feature.drop.reason', 'string', 'usage', ['metric'], rule.enum(['unknown_feature', 'unknown_property', 'wrong_type', 'invalid_value', 'over_cardinality']), 'Why a feature event or property was refused or bucketed.', 'unknown_property', 'Shows tool authors which declarations their calls miss.'),
  a('devtool.spool.drop.reason', 'string', 'minimal', ['metric'], rule.enum(['full', 'too_large', 'expired', 'corrupt', 'rejected']), 'Why telemetry records were dropped before sending.', 'full', 'Health of the telemetry itself.'),

  // ---- LLM requests (GenAI semantic conventions)
  a(sc.ATTR_GEN_AI_OPERATION_NAME, 'string', 'usage', SEM, rule.word(32, true), 'GenAI operation.', 'chat', WHY_LLM),
  a(sc.ATTR_GEN_AI_PROVIDER_NAME, 'string', 'usage', SEM, rule.word(64, true), 'GenAI provider.', 'openai', WHY_LLM),
  a(sc.ATTR_GEN_AI_SYSTEM, 'string', 'usage', S, rule.word(64, true), 'GenAI provider (deprecated name, set by older instrumentations).', 'openai', WHY_LLM),
  a(sc.ATTR_GEN_AI_REQUEST_MODEL, 'string', 'usage', SEM, rule.name(128), 'Model requested.', 'gpt-4o-mini-2024-07-18', WHY_LLM),
  a(sc.ATTR_GEN_AI_RESPONSE_MODEL, 'string', 'usage', SEM, rule.name(128), 'Model that answered.', 'claude-3-5-sonnet-20241022', WHY_LLM),
  a(sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS, 'int', 'usage', S, rule.int(0, 1e9), 'Input tokens used.', 1250, WHY_LLM),
  a(sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, 'int', 'usage', S, rule.int(0, 1e9), 'Output tokens used.', 310, WHY_LLM),
  a(sc.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, 'string[]', 'usage', S, rule.word(32), 'Why the model stopped.', ['stop'], WHY_LLM),
  a(sc.ATTR_GEN_AI_REQUEST_MAX_TOKENS, 'int', 'usage', S, rule.int(0, 1e9), 'Maximum output tokens requested.', 1024, WHY_LLM),
  a(sc.ATTR_GEN_AI_REQUEST_TEMPERATURE, 'double', 'usage', S, rule.double(0, 10), 'Sampling temperature requested.', 0.2, WHY_LLM),
  a(sc.ATTR_GEN_AI_REQUEST_TOP_P, 'double', 'usage', S, rule.double(0, 1), 'Top-p requested.', 0.9, WHY_LLM),
  a(sc.ATTR_GEN_AI_REQUEST_STREAM, 'boolean', 'usage', S, rule.boolean(), 'Whether the response was streamed.', true, WHY_LLM),
  a(sc.ATTR_SERVER_ADDRESS, 'string', 'usage', SM, rule.word(255, true), 'Host name of the GenAI API called (never an IP address).', 'api.openai.com', WHY_LLM),
  a(sc.ATTR_SERVER_PORT, 'int', 'usage', SM, rule.int(1, 65535), 'Port of the GenAI API called.', 443, WHY_LLM),
  a(sc.ATTR_GEN_AI_TOOL_NAME, 'string', 'usage', S, rule.name(128), 'Tool executed (execute_tool spans: MCP callTool).', 'read_file', 'Which tools agents call, how long they take and how often they fail.'),
  a(sc.ATTR_GEN_AI_TOOL_CALL_ID, 'string', 'usage', S, rule.opaqueId(128), 'Tool-call identifier the model (`call_…`, `toolu_…`) or the caller issued, when there is one.', 'call_Yk5ZV1bO3d9kXjQ2rNw8TmHa', 'Links a tool execution to the model call that requested it.'),
  a(sc.ATTR_GEN_AI_TOKEN_TYPE, 'string', 'usage', ['metric'], rule.enum([sc.GEN_AI_TOKEN_TYPE_INPUT, sc.GEN_AI_TOKEN_TYPE_OUTPUT]), 'Token kind of a token-usage point.', 'input', WHY_LLM),
  // content: the `full` level only, and scrubbed even then
  a(sc.ATTR_GEN_AI_INPUT_MESSAGES, 'string', 'full', SE, rule.content(), 'Prompt messages (JSON). Only with the "full" level.', '[{"role":"user","parts":[{"type":"text","content":"Fix the failing test"}]}]', 'Debugging agents, for people who opt in to content.'),
  a(sc.ATTR_GEN_AI_OUTPUT_MESSAGES, 'string', 'full', SE, rule.content(), 'Model answers (JSON). Only with the "full" level.', '[{"role":"assistant","parts":[{"type":"text","content":"Done."}]}]', 'Debugging agents, for people who opt in to content.'),
  a(sc.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, 'string', 'full', SE, rule.content(), 'System instructions (JSON). Only with the "full" level.', '[{"type":"text","content":"You are a coding assistant."}]', 'Debugging agents, for people who opt in to content.'),
  a(sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, 'string', 'full', SE, rule.content(), 'Tool-call arguments. Only with the "full" level.', '{"file":"src/app.ts"}', 'Debugging agents, for people who opt in to content.'),
  a(sc.ATTR_GEN_AI_TOOL_CALL_RESULT, 'string', 'full', SE, rule.content(), 'Tool-call result. Only with the "full" level.', '{"ok":true}', 'Debugging agents, for people who opt in to content.'),
  a(sc.ATTR_GEN_AI_PROMPT, 'string', 'full', SE, rule.content(), 'Legacy prompt key of older instrumentations. Only with the "full" level.', 'Fix the failing test'),
  a(sc.ATTR_GEN_AI_COMPLETION, 'string', 'full', SE, rule.content(), 'Legacy completion key of older instrumentations. Only with the "full" level.', 'Done.'),

  // ---- HTTP server/client spans of third-party instrumentations
  a(sc.ATTR_HTTP_REQUEST_METHOD, 'string', 'usage', SM, rule.enum(HTTP_METHODS, '_OTHER'), 'HTTP method.', 'GET'),
  a(sc.ATTR_HTTP_ROUTE, 'string', 'usage', SM, rule.urlPath(), 'Route template.', '/projects/:id/runs'),
  a(sc.ATTR_HTTP_RESPONSE_STATUS_CODE, 'int', 'usage', SM, rule.int(100, 599), 'HTTP status code.', 200),
  a(sc.ATTR_URL_PATH, 'string', 'usage', S, rule.urlPath(), 'URL path, only when no segment of it looks like an id (else omitted); never the query string.', '/projects/settings'),
  a(sc.ATTR_URL_SCHEME, 'string', 'usage', SM, rule.enum(['http', 'https', 'ws', 'wss']), 'URL scheme.', 'https'),
  a(sc.ATTR_NETWORK_PROTOCOL_VERSION, 'string', 'usage', SM, rule.enum(['1.0', '1.1', '2', '3']), 'HTTP version.', '1.1'),
]);

const SESSION_COUNTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000];

/** Metrics the distribution emits (and the third-party ones it lets through). */
export const METRICS: readonly MetricSpec[] = Object.freeze([
  { name: 'devtool.command.runs', unit: '{run}', instrument: 'counter', level: 'minimal', description: 'Command runs.', attributes: ['devtool.command.name', 'devtool.command.outcome', 'error.type'] },
  { name: 'devtool.command.duration', unit: 's', instrument: 'histogram', level: 'minimal', description: 'Duration of command runs.', attributes: ['devtool.command.name', 'devtool.command.outcome', 'error.type'] },
  { name: 'devtool.step.duration', unit: 's', instrument: 'histogram', level: 'usage', description: 'Duration of development steps.', attributes: ['devtool.command.name', 'devtool.step.name', 'devtool.step.outcome', 'error.type'] },
  { name: sc.METRIC_PROCESS_CPU_TIME, unit: 's', instrument: 'counter', level: 'usage', description: 'CPU seconds of command runs, by CPU mode.', attributes: ['cpu.mode', 'devtool.command.name'] },
  { name: 'devtool.user_input.count', unit: '{input}', instrument: 'counter', level: 'usage', description: 'Inputs the user was asked for.', attributes: ['devtool.command.name', 'devtool.user_input.kind'] },
  { name: 'devtool.feature.uses', unit: '{use}', instrument: 'counter', level: 'usage', description: 'Uses of declared features.', attributes: ['devtool.command.name', 'devtool.feature.name'] },
  { name: sc.METRIC_GEN_AI_CLIENT_TOKEN_USAGE, unit: '{token}', instrument: 'histogram', level: 'usage', description: 'Tokens used per LLM request.', attributes: ['gen_ai.token.type', 'gen_ai.operation.name', 'gen_ai.provider.name', 'gen_ai.request.model', 'gen_ai.response.model', 'server.address', 'server.port'], buckets: sc.GEN_AI_TOKEN_USAGE_BUCKETS },
  { name: sc.METRIC_GEN_AI_CLIENT_OPERATION_DURATION, unit: 's', instrument: 'histogram', level: 'usage', description: 'Duration of LLM requests.', attributes: ['gen_ai.operation.name', 'gen_ai.provider.name', 'gen_ai.request.model', 'gen_ai.response.model', 'server.address', 'server.port', 'error.type'], buckets: sc.GEN_AI_OPERATION_DURATION_BUCKETS },
  { name: 'devtool.feature.dropped', unit: '{item}', instrument: 'counter', level: 'usage', description: 'Feature events or properties refused or bucketed.', attributes: ['devtool.feature.drop.reason'] },
  { name: 'devtool.session.duration', unit: 's', instrument: 'histogram', level: 'usage', description: 'Duration of ended sessions.', attributes: [], buckets: [10, 60, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400] },
  { name: 'devtool.session.runs', unit: '{run}', instrument: 'histogram', level: 'usage', description: 'Command runs per ended session.', attributes: [], buckets: SESSION_COUNTS },
  { name: 'devtool.session.steps', unit: '{step}', instrument: 'histogram', level: 'usage', description: 'Development steps per ended session.', attributes: [], buckets: SESSION_COUNTS },
  { name: 'devtool.session.llm_requests', unit: '{request}', instrument: 'histogram', level: 'usage', description: 'LLM requests per ended session.', attributes: [], buckets: SESSION_COUNTS },
  { name: 'devtool.session.tokens', unit: '{token}', instrument: 'histogram', level: 'usage', description: 'LLM tokens per ended session.', attributes: [], buckets: sc.GEN_AI_TOKEN_USAGE_BUCKETS },
  { name: 'devtool.session.user_inputs', unit: '{input}', instrument: 'histogram', level: 'usage', description: 'User inputs per ended session.', attributes: [], buckets: SESSION_COUNTS },
  { name: 'devtool.spool.dropped', unit: '{record}', instrument: 'counter', level: 'minimal', description: 'Telemetry records dropped before sending.', attributes: ['devtool.spool.drop.reason'] },
  { name: sc.METRIC_HTTP_SERVER_REQUEST_DURATION, unit: 's', instrument: 'histogram', level: 'usage', description: 'HTTP server request duration (third-party instrumentation).', attributes: ['http.request.method', 'http.route', 'http.response.status_code', 'url.scheme', 'network.protocol.version', 'error.type'], buckets: sc.HTTP_DURATION_BUCKETS },
  { name: sc.METRIC_HTTP_CLIENT_REQUEST_DURATION, unit: 's', instrument: 'histogram', level: 'usage', description: 'HTTP client request duration (third-party instrumentation).', attributes: ['http.request.method', 'http.response.status_code', 'error.type'], buckets: sc.HTTP_DURATION_BUCKETS },
].map((m) => Object.freeze(m as MetricSpec)));

/** What is never collected, at any level short of an explicit opt-in to content (`full`). */
export const NEVER_COLLECTED: readonly string[] = Object.freeze([
  'prompts, completions, code and file contents',
  'argument values and environment variable values',
  'paths under your home directory, your user name, your host name',
  'IP addresses and e-mail addresses',
  'tokens, API keys, passwords, private keys, URL credentials and query strings',
  'error messages and stack traces (only the error class, such as `TypeError` or `ENOENT`)',
]);

// ---------------------------------------------------------------------------------------------
// Runtime registry: built-ins plus what tool authors declare.

const BUILTIN = new Map(CATALOG.map((s) => [s.key, s]));
const extensions = new Map<string, AttributeSpec>();
let version = 0;

/** Namespaces owned by OpenTelemetry conventions or by us; extensions live elsewhere. */
const RESERVED_PREFIXES = [
  'service.', 'telemetry.', 'os.', 'host.', 'process.', 'gen_ai.', 'llm.', 'http.', 'url.', 'network.',
  'error.', 'exception.', 'user.', 'enduser.', 'client.', 'server.', 'otel.', 'devtool.', 'session.', 'app.', 'cpu.',
];
/** ... except the feature namespace, where tools describe their features' properties. */
const EXTENSIBLE_PREFIXES = ['devtool.feature.'];
const KEY_RE = /^[a-z][a-z0-9_]{0,63}(?:\.[a-z0-9_]{1,64}){0,7}$/;
const MAX_EXTENSIONS = 256;
const TYPES: readonly AttributeType[] = ['string', 'int', 'double', 'boolean', 'string[]', 'int[]'];
const TARGETS: readonly AttributeTarget[] = ['resource', 'span', 'event', 'metric'];

export interface DefineResult {
  added: string[];
  rejected: Array<{ key: string; reason: string }>;
}

function ruleFitsType(r: ValueRule, t: AttributeType): boolean {
  if (t === 'int' || t === 'int[]') return r.kind === 'int';
  if (t === 'double') return r.kind === 'double' || r.kind === 'int';
  if (t === 'boolean') return r.kind === 'boolean';
  return r.kind !== 'int' && r.kind !== 'double' && r.kind !== 'boolean';
}

function rejectReason(s: Partial<AttributeSpec> | null | undefined): string | undefined {
  if (!s || typeof s !== 'object') return 'not an object';
  const key = s.key;
  if (typeof key !== 'string' || !KEY_RE.test(key)) return 'key must be lower-case dotted words';
  if (BUILTIN.has(key)) return 'built-in key';
  if (extensions.has(key)) return 'already defined';
  if (RESERVED_PREFIXES.some((p) => key.startsWith(p)) && !EXTENSIBLE_PREFIXES.some((p) => key.startsWith(p))) {
    return 'reserved namespace';
  }
  if (key === 'devtool.feature.name') return 'built-in key';
  if (!TYPES.includes(s.type as AttributeType)) return 'bad type';
  if (!CATALOG_LEVELS.includes(s.level as CatalogLevel)) return 'bad level';
  if (!Array.isArray(s.on) || s.on.length === 0 || !s.on.every((t) => TARGETS.includes(t))) return 'bad targets';
  const why = validateRule(s.rule);
  if (why) return why;
  const r = s.rule as ValueRule;
  if (!ruleFitsType(r, s.type as AttributeType)) return 'rule does not fit type';
  if (FREE_TEXT_KINDS.includes(r.kind) && s.level !== 'full') return 'free text is allowed at the "full" level only';
  if (typeof s.description !== 'string' || s.description.length === 0 || s.description.length > 512) return 'description required';
  if (extensions.size >= MAX_EXTENSIONS) return 'too many extensions';
  return undefined;
}

/**
 * Extend the catalog with a tool's own keys (feature properties, tool-specific dimensions).
 * Never throws; every spec is accepted or rejected with a reason.
 */
export function defineAttributes(specs: readonly AttributeSpec[]): DefineResult {
  const result: DefineResult = { added: [], rejected: [] };
  if (!Array.isArray(specs)) return result;
  for (const raw of specs) {
    // Read every field exactly once into a plain copy: a getter cannot answer differently to the
    // check and to the registry, and a throwing one only rejects its own spec.
    let s: AttributeSpec;
    try {
      const x = raw as AttributeSpec;
      const r = x.rule as ValueRule;
      const ruleCopy = r && typeof r === 'object' ? ({ ...r } as ValueRule) : r;
      if (ruleCopy && ruleCopy.kind === 'enum' && Array.isArray(ruleCopy.values)) {
        (ruleCopy as { values: readonly string[] }).values = Object.freeze([...ruleCopy.values]);
      }
      s = {
        key: x.key, type: x.type, level: x.level, on: Array.isArray(x.on) ? [...x.on] : x.on, rule: Object.freeze(ruleCopy),
        description: x.description, example: x.example, ...(typeof x.why === 'string' ? { why: x.why } : {}),
      };
    } catch {
      result.rejected.push({ key: '?', reason: 'unreadable spec' });
      continue;
    }
    const key = typeof s.key === 'string' ? s.key.slice(0, 128) : '?';
    let reason: string | undefined;
    try {
      reason = rejectReason(s);
    } catch {
      reason = 'unreadable spec';
    }
    if (reason) {
      result.rejected.push({ key, reason });
      continue;
    }
    extensions.set(key, Object.freeze({ ...s, on: Object.freeze(s.on) }));
    result.added.push(key);
  }
  if (result.added.length > 0) version++;
  return result;
}

/** Changes whenever extensions are added (sanitizers recompile their tables on change). */
export function catalogVersion(): number {
  return version;
}

/** Built-in and extension specs. */
export function allAttributes(): AttributeSpec[] {
  return [...CATALOG, ...extensions.values()];
}

export function findAttribute(key: string): AttributeSpec | undefined {
  return BUILTIN.get(key) ?? extensions.get(key);
}

const METRIC_BY_NAME = new Map(METRICS.map((m) => [m.name, m]));
const metricExtensions = new Map<string, MetricSpec>();
const MAX_METRIC_EXTENSIONS = 64;
export function findMetric(name: string): MetricSpec | undefined {
  return METRIC_BY_NAME.get(name) ?? metricExtensions.get(name);
}

/**
 * Extend the metric list with a tool's own counters (per-command metrics such as
 * `visivo.jobs.executed`), under the same namespace rules as attribute extensions; their point
 * attributes must be catalog keys allowed on metrics (define them first). Never throws.
 */
export function defineMetrics(specs: readonly MetricSpec[]): DefineResult {
  const result: DefineResult = { added: [], rejected: [] };
  if (!Array.isArray(specs)) return result;
  for (const raw of specs) {
    // One read of each field into a plain copy (see defineAttributes): getters cannot throw here later.
    let m: MetricSpec;
    try {
      const x = raw as MetricSpec;
      m = {
        name: x.name, unit: x.unit, instrument: x.instrument, level: x.level, description: x.description,
        attributes: Array.isArray(x.attributes) ? [...x.attributes] : x.attributes,
        ...(Array.isArray(x.buckets) ? { buckets: [...x.buckets] } : {}),
      };
    } catch {
      result.rejected.push({ key: '?', reason: 'unreadable spec' });
      continue;
    }
    const name = typeof m.name === 'string' ? m.name.slice(0, 128) : '?';
    let reason: string | undefined;
    if (typeof m.name !== 'string' || !KEY_RE.test(m.name)) reason = 'name must be lower-case dotted words';
    else if (METRIC_BY_NAME.has(name) || metricExtensions.has(name)) reason = 'already defined';
    else if (RESERVED_PREFIXES.some((p) => name.startsWith(p))) reason = 'reserved namespace';
    else if (m.instrument !== 'counter' && m.instrument !== 'histogram') reason = 'bad instrument';
    else if (!CATALOG_LEVELS.includes(m.level)) reason = 'bad level';
    else if (typeof m.unit !== 'string' || !/^[A-Za-z0-9{}/.%*_-]{0,32}$/.test(m.unit)) reason = 'bad unit';
    else if (typeof m.description !== 'string' || m.description.length === 0 || m.description.length > 512) reason = 'description required';
    else if (!Array.isArray(m.attributes) || m.attributes.length > 16 || !m.attributes.every((k: string) => typeof k === 'string' && findAttribute(k)?.on.includes('metric'))) reason = 'attributes must be catalog keys allowed on metrics';
    else if (m.buckets && (m.buckets.length > 64 || !m.buckets.every((b, i, a) => typeof b === 'number' && Number.isFinite(b) && (i === 0 || b > a[i - 1]!)))) reason = 'buckets must be increasing numbers';
    else if (metricExtensions.size >= MAX_METRIC_EXTENSIONS) reason = 'too many metric extensions';
    if (reason) {
      result.rejected.push({ key: name, reason });
      continue;
    }
    metricExtensions.set(name, Object.freeze({
      name, unit: m.unit, instrument: m.instrument, level: m.level, description: m.description,
      attributes: Object.freeze([...m.attributes]), ...(m.buckets ? { buckets: Object.freeze([...m.buckets]) } : {}),
    }));
    result.added.push(name);
  }
  if (result.added.length > 0) version++;
  return result;
}

/** What a batch carries so another process (the shipper) judges it by the same extensions. */
export interface ExtensionSet {
  attributes: AttributeSpec[];
  metrics: MetricSpec[];
}

/** The extensions defined in this process (empty lists when the tool declared none). */
export function exportExtensions(): ExtensionSet {
  return { attributes: [...extensions.values()], metrics: [...metricExtensions.values()] };
}

/**
 * Define the extensions a batch carries (from a spool file: untrusted). Every spec is validated
 * again exactly as a tool's own declaration; keys already defined keep their first definition.
 */
export function importExtensions(x: unknown): void {
  if (!x || typeof x !== 'object') return;
  const { attributes, metrics } = x as { attributes?: unknown; metrics?: unknown };
  if (Array.isArray(attributes)) defineAttributes(attributes.slice(0, MAX_EXTENSIONS) as AttributeSpec[]);
  if (Array.isArray(metrics)) defineMetrics(metrics.slice(0, MAX_METRIC_EXTENSIONS) as MetricSpec[]);
}

/** For tests only: forget extensions. */
export function resetExtensionsForTests(): void {
  extensions.clear();
  metricExtensions.clear();
  version++;
}

export { levelAllows, minLevel } from '../model/levels';

/** The catalog as plain JSON, for `devtool-telemetry schema`. */
export function catalogAsJson(): {
  version: 1;
  levels: readonly string[];
  attributes: Array<Omit<AttributeSpec, 'rule'> & { rule: ValueRule; ruleText: string; extension: boolean }>;
  metrics: MetricSpec[];
  never: readonly string[];
} {
  return {
    version: 1,
    levels: CATALOG_LEVELS,
    attributes: allAttributes().map((s) => ({
      key: s.key, type: s.type, level: s.level, on: [...s.on], rule: s.rule, ruleText: describeRule(s.rule),
      description: s.description, example: s.example, ...(s.why ? { why: s.why } : {}), extension: !BUILTIN.has(s.key),
    })),
    metrics: [...METRICS, ...metricExtensions.values()].map((m) => ({ ...m, attributes: [...m.attributes], ...(m.buckets ? { buckets: [...m.buckets] } : {}) })),
    never: NEVER_COLLECTED,
  };
}
