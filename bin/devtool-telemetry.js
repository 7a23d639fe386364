#!/usr/bin/env node
'use strict';
// The consent CLI: status, enable, disable, reset, preview, forget, schema.
require('../dist/cjs/cli/index.js')
  .runCli(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
