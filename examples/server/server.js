// Example long-running service. A CLI run is one span written at exit; a server runs for days, so
// the agent also flushes what it has recorded every DEVTOOL_TELEMETRY_FLUSH_INTERVAL ms (here the
// package.json default, 10 s) and the shipper sends each batch while the service keeps running.
// On SIGTERM the service stops accepting connections, finishes in-flight requests and exits 0:
// the final flush happens in the exit hook, so the run's span ends with outcome `success`.
'use strict';
const http = require('node:http');
const { command, step } = require('devtool-telemetry');

command('serve'); // the run's span is `example-server serve`, whatever the argv

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class UpstreamError extends Error {
  constructor() {
    super('upstream refused');
    this.name = 'UpstreamError';
  }
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('ok\n');
  }
  if (url.pathname === '/work') {
    // A unit of work as a development step: name, outcome and duration are recorded.
    await step('work', () => sleep(10));
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end('{"done":true}\n');
  }
  if (url.pathname === '/fail') {
    try {
      await step('work', async () => {
        await sleep(5);
        throw new UpstreamError();
      });
    } catch {
      res.writeHead(502, { 'content-type': 'application/json' });
      return res.end('{"error":"upstream"}\n');
    }
  }
  res.writeHead(404);
  res.end();
}

const server = http.createServer((req, res) => {
  handle(req, res).catch(() => {
    res.writeHead(500);
    res.end();
  });
});

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${server.address().port}`);
});

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  console.log('stopping');
  server.close(() => process.exit(0));
  server.closeIdleConnections?.();
  setTimeout(() => process.exit(1), 5000).unref(); // a stuck connection must not hold us forever
});
