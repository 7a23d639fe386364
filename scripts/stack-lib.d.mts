// Types for scripts/stack-lib.mjs (the local viewing stack: collector, Jaeger, Prometheus on loopback).

export const ROOT: string;
export const HOST: '127.0.0.1';

export interface StackPorts {
  collectorGrpcPort: number; // 4317
  collectorHttpPort: number; // 4318
  healthPort: number; // 13133
  promExporterPort: number; // 8889
  collectorTelemetryPort: number; // 8888
  jaegerUiPort: number; // 16686
  jaegerQueryGrpcPort: number; // 16685
  jaegerOtlpGrpcPort: number; // 14317
  jaegerOtlpHttpPort: number; // 14318
  prometheusPort: number; // 9090
  viewerPort: number; // 16680 (viewer/, started by `npm run stack` and the demo)
}
export const DEFAULT_PORTS: Readonly<StackPorts>;
/** env variable for each port (read by the configs and by `npm run stack`) */
export const ENV_PORTS: Readonly<Record<keyof StackPorts, string>>;
export const PATHS: Readonly<{
  collectorBin: string;
  jaegerBin: string;
  collectorConfig: string;
  jaegerConfig: string;
  prometheusConfig: string;
  defaultWorkDir: string;
}>;

export function portsFromEnv(env?: NodeJS.ProcessEnv): StackPorts;
export function prometheusBin(env?: NodeJS.ProcessEnv): string | null;
/** JAEGER_BIN, else `jaeger` on PATH (official release, with UI), else build/jaeger/jaeger (no UI). */
export function resolveJaegerBin(env?: NodeJS.ProcessEnv): { bin: string; source: 'JAEGER_BIN' | 'PATH' | 'build' };
export function runScript(script: string, opts?: { log?: (line: string) => void; env?: Record<string, string> }): Promise<void>;
/** Build/install what is missing (cached, locked); rejects with a clear message, never skips. Resolves to ms per step. */
export function ensureBuilt(opts?: { collector?: boolean; jaeger?: boolean; prometheus?: boolean; log?: (line: string) => void }): Promise<Record<string, number>>;
export function assertPortFree(port: number, what?: string): Promise<void>;
export function findFreePorts(n: number): Promise<number[]>;
/** A free port for every port of a stack. */
export function freeStackPorts(): Promise<StackPorts>;

export interface StackProcess {
  name: string;
  bin: string;
  pid: number;
  logFile: string;
  pidFile: string;
  exited(): { code: number | null; signal: string | null; error?: Error } | null;
  logTail(lines?: number): string;
}
export function startProcess(name: string, bin: string, args: string[], opts: { workDir: string; env?: Record<string, string>; detached?: boolean; cwd?: string }): StackProcess;
export function stopPid(pid: number, opts?: { expect?: string; timeoutMs?: number }): Promise<boolean>;
export function waitFor<T>(what: string, check: () => Promise<T>, opts?: { timeoutMs?: number; intervalMs?: number; proc?: StackProcess }): Promise<T>;
/** Poll fn until accept(value) (default: non-empty array / truthy); rejects after timeoutMs with the last value. */
export function eventually<T>(fn: () => Promise<T> | T, accept?: (v: T) => boolean, opts?: { timeoutMs?: number; intervalMs?: number; what?: string }): Promise<T>;

export interface JaegerTrace {
  traceID: string;
  spans: Array<{ traceID: string; spanID: string; operationName: string; references: Array<{ refType: string; traceID: string; spanID: string }>; startTime: number; duration: number; tags: Array<{ key: string; type: string; value: unknown }>; logs: unknown[]; processID: string }>;
  processes: Record<string, { serviceName: string; tags: Array<{ key: string; type: string; value: unknown }> }>;
}
export function queryJaegerTraces(service: string, opts?: { baseUrl?: string; limit?: number; lookback?: string; tags?: Record<string, string> }): Promise<JaegerTrace[]>;
export function queryJaegerServices(opts?: { baseUrl?: string }): Promise<string[]>;
export interface PromSample { metric: Record<string, string>; value: [number, string] }
export function queryPrometheus(promql: string, opts?: { baseUrl?: string; time?: number | string }): Promise<PromSample[]>;
export function waitForScrape(prometheusUrl: string, since?: number, timeoutMs?: number): Promise<boolean>;
export function renderPrometheusConfig(opts: { promExporterPort: number; collectorTelemetryPort: number; scrapeInterval?: string; extraTargets?: string[] }): string;
export function collectorEnv(ports: Partial<StackPorts>, opts?: { storageDir?: string; jaegerOtlpEndpoint?: string }): Record<string, string>;
export function startCollector(opts: {
  name?: string;
  ports: Pick<StackPorts, 'collectorGrpcPort' | 'collectorHttpPort' | 'healthPort' | 'promExporterPort' | 'collectorTelemetryPort'> & Partial<StackPorts>;
  workDir: string;
  config?: string;
  extraConfigs?: string[];
  env?: Record<string, string>;
  detached?: boolean;
  timeoutMs?: number;
}): Promise<StackProcess>;

export interface StackEndpoints {
  otlpHttp: string; // http://127.0.0.1:4318  (OTEL_EXPORTER_OTLP_ENDPOINT)
  otlpGrpc: string; // http://127.0.0.1:4317
  collectorHealth: string;
  promExporter: string; // .../metrics
  collectorTelemetry: string;
  jaegerUi: string; // http://127.0.0.1:16686
  jaegerOtlpGrpc: string;
  jaegerOtlpHttp: string;
  prometheus: string; // http://127.0.0.1:9090
}
export interface StartStackOptions extends Partial<StackPorts> {
  /** logs, pid files, Prometheus data, collector queue; default build/stack */
  workDir?: string;
  /** which processes to run (all by default) */
  components?: { collector?: boolean; jaeger?: boolean; prometheus?: boolean };
  collectorConfig?: string;
  /** overlay configs merged after the main one (e.g. extra exporters for a test) */
  collectorExtraConfigs?: string[];
  collectorEnv?: Record<string, string>;
  jaegerConfig?: string;
  /** default: resolveJaegerBin() */
  jaegerBin?: string;
  prometheusBin?: string;
  /** Prometheus scrape interval, default '2s' */
  scrapeInterval?: string;
  extraScrapeTargets?: string[];
  /** processes outlive the caller (npm run stack); otherwise killed when the caller exits */
  detached?: boolean;
  healthTimeoutMs?: number;
}
export interface Stack {
  ports: StackPorts;
  endpoints: StackEndpoints;
  workDir: string;
  components: { collector: boolean; jaeger: boolean; prometheus: boolean };
  pids: Record<string, number>;
  processes: StackProcess[];
  stop(): Promise<void>;
  queryJaegerTraces(service: string, opts?: { limit?: number; lookback?: string; tags?: Record<string, string> }): Promise<JaegerTrace[]>;
  queryJaegerServices(): Promise<string[]>;
  queryPrometheus(promql: string, opts?: { time?: number | string }): Promise<PromSample[]>;
  /** resolves once every Prometheus target was scraped after `since` (ms epoch) */
  waitForScrape(since?: number, timeoutMs?: number): Promise<boolean>;
}
/** Start collector, Jaeger, Prometheus on loopback; waits for health; throws on a busy port (code 'EPORTBUSY'). */
export function startStack(opts?: StartStackOptions): Promise<Stack>;
export function readStackInfo(workDir?: string): { ports: StackPorts; endpoints: StackEndpoints; pids: Record<string, number> } | null;
export function stopStack(opts?: { workDir?: string; log?: (line: string) => void }): Promise<string[]>;
export function stackStatus(workDir?: string): { info: ReturnType<typeof readStackInfo>; alive: Record<string, number | false> };
