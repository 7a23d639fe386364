#!/usr/bin/env node
'use strict';
// The consent CLI: status, enable, disable, reset, preview, forget, schema.
// A closed pipe (`devtool-telemetry schema | head`) is not an error worth a stack trace.
for (const s of [process.stdout, process.stderr]) s.on('error', () => {});
require('../dist/cjs/cli/index.js')
  .runCli(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
