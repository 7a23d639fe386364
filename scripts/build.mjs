// Build: tsc emits the CommonJS build (one file per module, so the preload can require lazily and
// load nothing it does not need); the ESM build is a set of thin .mjs facades over it. One
// implementation means one recorder per process, whether the app or the preload uses require or
// import (no dual-package hazard), and `--import devtool-telemetry/register` shares state with
// `import { step } from 'devtool-telemetry'`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
// No clean first: concurrent test runs keep a usable dist while tsc rewrites it. (CI builds a fresh clone.)
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], {
  stdio: 'inherit',
  cwd: root,
});

// The hot path as two bundles (module loading was the largest start-up cost: ~40 files at
// ~0.25 ms each). register.js holds only tool identity + the consent resolver, so a disabled
// run loads one small file; runtime.js holds the recorder and the public API, loaded once
// telemetry is on, or when the app requires the package. Both resolve './runtime' to the
// runtime bundle at run time, so the preload and the app share one instance of everything.
// The shipper (a process of its own) is bundled below; the CLI stays one file per module.
const { build } = require('esbuild');
const runtimeExternal = {
  name: 'runtime-external',
  setup(b) {
    b.onResolve({ filter: /^\.\/runtime$/ }, () => ({ path: './runtime.js', external: true }));
  },
};
// Built into every bundle: our version, and how deep below the package root the bundle sits
// (src/resource/detect.ts, src/storage/package-root.ts: no package.json read per run).
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const placed = (outfile) => ({
  __PACKAGE_VERSION__: JSON.stringify(version),
  __DIST_DEPTH__: String(dirname(outfile).split('/').length),
});
const bundle = (entry, outfile, define = {}) =>
  build({
    define: { ...placed(outfile), ...define },
    entryPoints: [join(root, entry)],
    outfile: join(root, outfile),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    packages: 'external',
    plugins: [runtimeExternal],
    logLevel: 'warning',
    legalComments: 'none',
    // Every run reads and compiles these (the preload bundle even when off): 44 -> 34 KB and
    // 315 -> 240 KB. Identifiers are kept, so names in stack traces and `.name` stay ours.
    minifyWhitespace: true,
    minifySyntax: true,
  });
await bundle('src/entry/runtime.ts', 'dist/cjs/runtime.js');
// The shipper's send path (drain.ts, loaded on its first shipment) as one file WITH the OTLP
// encoders: @opentelemetry/otlp-transformer and what it pulls in (~200 modules of @opentelemetry/*)
// cost ~75 ms of CPU to resolve and load one by one, in every shipper; one bundle ~27 ms. undici stays external (loaded only behind a proxy). Their license comments are kept at
// the end of the file. Where this file is missing (tests of src/, the OTel-next pass) the
// shipper loads the modules as they are (main.ts).
await build({
  entryPoints: [join(root, 'src/shipper/drain.ts')],
  outfile: join(root, 'dist/cjs/shipper/send.js'),
  define: placed('dist/cjs/shipper/send.js'),
  bundle: true,
  // The packages' ES-module builds, which esbuild can tree-shake: what the encoders do not use
  // (all of @opentelemetry/semantic-conventions, the metrics SDK, resources) stays out: 790 KB -> 270 KB.
  mainFields: ['module', 'main'],
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  external: ['undici'],
  logLevel: 'warning',
  legalComments: 'eof',
  banner: {
    js: '// Bundled by scripts/build.mjs: our shipper with @opentelemetry/otlp-transformer and the\n' +
      '// @opentelemetry/* packages it loads (Apache-2.0, as this package; their license texts ship in\n' +
      '// those packages, which are dependencies of this one).',
  },
});
// The shipper's entry as one file too, over tsc's: its ~20 modules (spool/, settings/, storage/)
// cost ~9 ms of CPU per shipper to resolve and load one by one. The send path stays a file of its
// own (send.js, loaded on the first shipment); drain.js is the fallback of a build without it.
await build({
  entryPoints: [join(root, 'src/shipper/main.ts')],
  outfile: join(root, 'dist/cjs/shipper/main.js'),
  define: placed('dist/cjs/shipper/main.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  packages: 'external',
  plugins: [{ name: 'send-external', setup: (b) => b.onResolve({ filter: /^\.\/(send|drain)$/ }, (a) => ({ path: a.path, external: true })) }],
  logLevel: 'warning',
  legalComments: 'none',
});
// The send path's checksum, beside it: the shipper keys its V8 code cache of send.js by it
// (src/shipper/main.ts; src/storage/code-cache.ts says why a cache needs the exact source's hash).
writeFileSync(join(root, 'dist/cjs/shipper/send.js.sha256'), createHash('sha256').update(readFileSync(join(root, 'dist/cjs/shipper/send.js'))).digest('hex') + '\n');
// The runtime bundle's checksum, built into the preload: a V8 code cache is used only when its
// header names this hash (src/entry/code-cache.ts), so a cache made from any other source never loads.
const runtimeSha256 = createHash('sha256').update(readFileSync(join(root, 'dist/cjs/runtime.js'))).digest('hex');
await bundle('src/entry/preload.ts', 'dist/cjs/register.js', { __RUNTIME_SHA256__: JSON.stringify(runtimeSha256) });
// The preload exports nothing; its types say so (package.json `exports` and `typesVersions`).
writeFileSync(join(root, 'dist/cjs/register.d.ts'), 'export {};\n');
writeFileSync(
  join(root, 'dist/cjs/index.js'),
  [
    "'use strict';",
    '// The public API: the runtime bundle, less the entry point the preload uses internally.',
    "const { startRecording, ...api } = require('./runtime.js');",
    'module.exports = api;',
    '',
  ].join('\n'),
);

const esm = join(root, 'dist/esm');
mkdirSync(esm, { recursive: true });
writeFileSync(join(esm, 'package.json'), '{"type":"module"}\n');

/** ESM facade: named re-exports of a CJS module, and its types. */
function facade(name, cjsPath, names) {
  const lines = [
    `// ESM entry: re-exports the CommonJS build so both module systems share one recorder.`,
    `// createRequire, not \`import\` of the CJS file: importing CommonJS from ESM starts Node's`,
    `// cjs-module-lexer (WebAssembly, ~20 MB and tens of ms on Node 20).`,
    `import { createRequire } from 'node:module';`,
    `const cjs = createRequire(import.meta.url)('${cjsPath}.js');`,
    ...names.map((n) => `export const ${n} = cjs.${n};`),
    `export default cjs;`,
  ];
  writeFileSync(join(esm, `${name}.mjs`), lines.join('\n') + '\n');
  // The types say what index.mjs exports: every named export, and the CommonJS exports object as
  // `default` (attw and publint check this on the packed tarball: test/core/package-lint.test.ts).
  writeFileSync(
    join(esm, `${name}.d.mts`),
    [`import * as cjs from '${cjsPath}.js';`, `export * from '${cjsPath}.js';`, `export default cjs;`, ''].join('\n'),
  );
}

// register has no exports: importing it runs the CommonJS preload once.
writeFileSync(
  join(esm, 'register.mjs'),
  "// --import entry: runs the CommonJS preload once (createRequire: see facade() below).\n" +
    "import { createRequire } from 'node:module';\n" +
    "createRequire(import.meta.url)('../cjs/register.js');\n",
);
writeFileSync(join(esm, 'register.d.mts'), 'export {};\n');

const api = require(join(root, 'dist/cjs/index.js'));
facade('index', '../cjs/index', Object.keys(api).filter((k) => k !== 'default' && k !== '__esModule'));
const cli = require(join(root, 'dist/cjs/cli/index.js'));
facade('cli', '../cjs/cli/index', Object.keys(cli).filter((k) => k !== 'default' && k !== '__esModule'));
