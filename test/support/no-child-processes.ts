// Setup file of the `unit` project (vitest.config.ts): those suites promise to run in-process, which
// is what keeps `npm run test:unit` to seconds. Starting a child process there (from a test or from our
// code under test) throws, naming the place to fix: move the suite to the `process` project.
import { createRequire, syncBuiltinESMExports } from 'node:module';

const STARTERS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;

// the CommonJS exports object: the one object both `require()` and the ES module bindings read from
const cp = createRequire(__filename)('node:child_process') as Record<(typeof STARTERS)[number], unknown>;
for (const name of STARTERS) {
  cp[name] = () => {
    throw new Error(
      `child_process.${name}() in a unit suite: the unit project (UNIT_SUITES in vitest.config.ts) runs in-process only; ` +
        'a suite that starts processes belongs to the process project',
    );
  };
}
// `import { spawn } from 'node:child_process'` binds the ES module's exports: bring them in line.
syncBuiltinESMExports();
