#!/usr/bin/env node
// Example CLI. Run it under the preload (`node --require devtool-telemetry/register cli.js ...`,
// or `npm run example:cli -- <command>` from the repository root): every run becomes one
// command-run span `cli-tool <subcommand>` with its duration, exit code and error class, plus the
// `devtool.command.*` metrics. Nothing below imports telemetry except `build` (development steps,
// through the small API) and `telemetry` (the consent CLI, mounted under our own command).
'use strict';
const fs = require('node:fs');
const { Command } = require('commander');

/** A tool-specific error class: its name becomes `error.type` (never its message). */
class ConfigError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ConfigError';
  }
}

const program = new Command();
program.name('cli-tool').description('A small example CLI recorded by devtool-telemetry').version('1.0.0');

program
  .command('greet')
  .description('print a greeting (the name is an argument value: never recorded)')
  .argument('<name>')
  .option('--shout', 'upper-case the greeting')
  .action((name, opts) => {
    const text = `Hello, ${name}!`;
    console.log(opts.shout ? text.toUpperCase() : text);
  });

program
  .command('count')
  .description('count the lines of a file (its path and contents are never recorded)')
  .argument('<file>')
  .action((file) => {
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
    console.log(`${lines} lines`);
  });

program
  .command('build')
  .description('a build in development steps (compile, bundle), recorded with the step API')
  .action(async () => {
    const { step } = require('devtool-telemetry');
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    await step('compile', () => sleep(30));
    await step('bundle', () => sleep(20));
    console.log('built');
  });

program
  .command('deploy')
  .description('always fails with a ConfigError, to show error.type on the command span')
  .action(() => {
    throw new ConfigError('missing deploy target in /home/someone/.cli-tool.json');
  });

program
  .command('telemetry')
  .description('telemetry settings: status, enable, disable, reset, preview, schema')
  .argument('[args...]')
  .allowUnknownOption()
  .helpOption(false)
  .action(async (args) => {
    const { runCli } = require('devtool-telemetry/cli');
    const code = await runCli(args, { tool: 'cli-tool' });
    process.exitCode = typeof code === 'number' ? code : 0;
  });

program.parseAsync(process.argv);
