/**
 * devtool-telemetry: OpenTelemetry for developer tools and AI coding agents.
 * Zero code: `node --require devtool-telemetry/register`. For more, this small API.
 */
export { start } from './entry/start';
export type { StartOptions } from './entry/gate';
export { command, step, llmRequest, userInput, shutdown, flush, telemetryLevel, usageFromResponse } from './api';
export type { LlmRequestInfo, StepHandle } from './api';
export { tracerProvider } from './otel/tracer-provider';
export { askConsent } from './consent/prompt';
export type { Level } from './model/records';
export { defineFeatures, feature, defineCommandMetrics, count } from './features';
export type { FeatureSpec, FeatureSpecs, PropertySpec, CommandMetricsSpec, CounterSpec } from './features';
