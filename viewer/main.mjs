#!/usr/bin/env node
// The viewer as its own process (what `npm run stack` and the demo start, detached, next to the
// collector, Jaeger and Prometheus):
//
//   node viewer/main.mjs --jaeger http://127.0.0.1:16686 --prometheus http://127.0.0.1:9090 [--port 16680] [--logs FILE]
//
// The port defaults to DEVTOOL_VIEWER_PORT, else 16680. Prints one line "viewer listening <url>".
import { parseArgs } from 'node:util';
import { DEFAULT_VIEWER_PORT, VIEWER_PORT_ENV, startViewer } from './server.mjs';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    jaeger: { type: 'string', default: 'http://127.0.0.1:16686' },
    prometheus: { type: 'string', default: 'http://127.0.0.1:9090' },
    // the collector's logs file (file/logs exporter): a trace page lists the log records of its trace
    logs: { type: 'string' },
  },
});

const rawPort = values.port ?? process.env[VIEWER_PORT_ENV] ?? String(DEFAULT_VIEWER_PORT);
const port = Number(rawPort);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`viewer: ${VIEWER_PORT_ENV}=${rawPort} is not a valid port`);
  process.exit(2);
}

try {
  const v = await startViewer({ port, host: values.host, jaegerUrl: values.jaeger, prometheusUrl: values.prometheus, logsFile: values.logs });
  console.log(`viewer listening ${v.url} (Jaeger ${values.jaeger}, Prometheus ${values.prometheus})`);
  const stop = () => v.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
