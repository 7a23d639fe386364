// Example: an agent that calls tools as child processes, each inside a step(). Under the preload
// through NODE_OPTIONS (so the tools it starts are preloaded too), the whole run is ONE trace:
//
//   ai-agent                          the agent's command span (the root)
//     step lint                       the step that started the tool
//       node                          CLIENT span: the agent waiting for the child (exit code)
//         cli-tool build              the tool's own command span, with its steps
//     step run-tests
//       node                          exit 1, error.type _OTHER
//         cli-tool deploy             error.type ConfigError
//
// Nothing here knows about trace context: the preload hands it to each child through the
// environment (TRACEPARENT), as the OpenTelemetry spec for environment-variable carriers says.
// Run: NODE_OPTIONS="--import devtool-telemetry/register" node tool-runner.mjs
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { step } from 'devtool-telemetry';

const here = dirname(fileURLToPath(import.meta.url));
const tool = join(here, '..', 'cli-tool', 'cli.js');

/** Run one tool, its output passed through; resolves with its exit code (never rejects). */
function runTool(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tool, ...args], { stdio: 'inherit' });
    child.on('error', () => resolve(127));
    child.on('close', (code) => resolve(code ?? 1));
  });
}

const lint = await step('lint', () => runTool(['build']));
console.log(`lint exit ${lint}`);
const tests = await step('run-tests', () => runTool(['deploy']));
console.log(`tests exit ${tests}`);
