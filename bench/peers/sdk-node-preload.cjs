// Peer: the minimal stock @opentelemetry/sdk-node preload (OTLP/HTTP traces), with the exit
// handling a CLI needs (sdk-node installs none): one span for the run, shutdown on beforeExit.
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { trace } = require('@opentelemetry/api');
const sdk = new NodeSDK({ traceExporter: new OTLPTraceExporter(), instrumentations: [] });
sdk.start();
const span = trace.getTracer('bench').startSpan('tiny-cli');
let done = false;
process.on('beforeExit', async () => {
  if (done) return;
  done = true;
  span.end();
  await sdk.shutdown();
});
