/**
 * Local copies of the OpenTelemetry semantic-convention names we emit or accept. Several are still
 * "incubating" (GenAI, os.*, process.exit.code); OTel's own packages copy such names into a local
 * file rather than import `@opentelemetry/semantic-conventions/incubating`, whose entry point is
 * large and whose names may move between releases. Checked against the registry YAML of semantic-conventions 1.44 by test/semconv/registry-names.test.ts.
 * Our own names live under `devtool.*`.
 */

// Resource (stable)
export const ATTR_SERVICE_NAME = 'service.name';
export const ATTR_SERVICE_VERSION = 'service.version';
export const ATTR_TELEMETRY_SDK_NAME = 'telemetry.sdk.name';
export const ATTR_TELEMETRY_SDK_LANGUAGE = 'telemetry.sdk.language';
export const ATTR_TELEMETRY_SDK_VERSION = 'telemetry.sdk.version';
// Resource (incubating)
export const ATTR_SERVICE_INSTANCE_ID = 'service.instance.id';
export const ATTR_TELEMETRY_DISTRO_NAME = 'telemetry.distro.name';
export const ATTR_TELEMETRY_DISTRO_VERSION = 'telemetry.distro.version';
export const ATTR_OS_TYPE = 'os.type';
export const ATTR_OS_VERSION = 'os.version';
export const ATTR_OS_NAME = 'os.name';
export const ATTR_OS_DESCRIPTION = 'os.description';
export const ATTR_HOST_ARCH = 'host.arch';
export const ATTR_PROCESS_RUNTIME_NAME = 'process.runtime.name';
export const ATTR_PROCESS_RUNTIME_VERSION = 'process.runtime.version';
export const ATTR_PROCESS_RUNTIME_DESCRIPTION = 'process.runtime.description';

// Process / errors
export const ATTR_PROCESS_EXIT_CODE = 'process.exit.code';
export const ATTR_PROCESS_EXECUTABLE_NAME = 'process.executable.name';
export const ATTR_PROCESS_PID = 'process.pid';
export const ATTR_CPU_MODE = 'cpu.mode';
export const ATTR_ERROR_TYPE = 'error.type';
// Session and installation (incubating)
export const ATTR_SESSION_ID = 'session.id';
export const ATTR_SESSION_PREVIOUS_ID = 'session.previous_id';
export const ATTR_APP_INSTALLATION_ID = 'app.installation.id';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_EXCEPTION_TYPE = 'exception.type';
export const ATTR_EXCEPTION_MESSAGE = 'exception.message';

// HTTP (stable)
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_ROUTE = 'http.route';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_URL_PATH = 'url.path';
export const ATTR_URL_SCHEME = 'url.scheme';
export const ATTR_NETWORK_PROTOCOL_VERSION = 'network.protocol.version';

// GenAI (incubating)
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
/** Deprecated in favour of gen_ai.provider.name; older instrumentations (openai 0.x) still set it. */
export const ATTR_GEN_AI_SYSTEM = 'gen_ai.system';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature';
export const ATTR_GEN_AI_REQUEST_TOP_P = 'gen_ai.request.top_p';
export const ATTR_GEN_AI_REQUEST_STREAM = 'gen_ai.request.stream';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';
export const ATTR_GEN_AI_SYSTEM_INSTRUCTIONS = 'gen_ai.system_instructions';
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const ATTR_GEN_AI_TOOL_CALL_ID = 'gen_ai.tool.call.id';
export const ATTR_GEN_AI_TOOL_CALL_ARGUMENTS = 'gen_ai.tool.call.arguments';
export const ATTR_GEN_AI_TOOL_CALL_RESULT = 'gen_ai.tool.call.result';
/** Legacy content keys (pre-1.37 GenAI conventions, OpenLLMetry): accepted at `full` only. */
export const ATTR_GEN_AI_PROMPT = 'gen_ai.prompt';
export const ATTR_GEN_AI_COMPLETION = 'gen_ai.completion';

export const GEN_AI_TOKEN_TYPE_INPUT = 'input';
export const GEN_AI_TOKEN_TYPE_OUTPUT = 'output';

// Metrics (GenAI, incubating)
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = 'gen_ai.client.token.usage';
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = 'gen_ai.client.operation.duration';
// Metrics (process, release candidate)
export const METRIC_PROCESS_CPU_TIME = 'process.cpu.time';
// Metrics (HTTP, stable; emitted by third-party instrumentations)
export const METRIC_HTTP_SERVER_REQUEST_DURATION = 'http.server.request.duration';
export const METRIC_HTTP_CLIENT_REQUEST_DURATION = 'http.client.request.duration';

/** Explicit bucket boundaries the GenAI metric conventions recommend. */
export const GEN_AI_TOKEN_USAGE_BUCKETS: readonly number[] = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
export const GEN_AI_OPERATION_DURATION_BUCKETS: readonly number[] = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
/** HTTP duration buckets from the stable HTTP metric conventions. */
export const HTTP_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];
