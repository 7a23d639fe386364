// ESLint for the whole repo (`npm run lint`; test/lint.test.ts runs it inside `npm test`).
// The rule set of an OpenTelemetry JS package: eslint's and typescript-eslint's recommended rules, plus
// the type-aware promise rules that matter in a preload that must never lose or delay a run (a floating
// promise is a lost error or an exit that waits). Type information comes from tsconfig.json (src) and
// test/tsconfig.json (tests); plain JS (scripts, bench, viewer, examples, fixtures) gets the rules that
// need none. A disable comment must say why (`-- reason`), and a stale one is an error.
import comments from '@eslint-community/eslint-plugin-eslint-comments/configs';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const unusedVars = [
  'error',
  // `_name` marks a parameter a signature needs but the body does not (handlers, callbacks);
  // `const { drop, ...rest } = o` is how a key is left out of a copy.
  { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
];

export default defineConfig(
  globalIgnores(['**/node_modules/', 'dist/', 'build/', 'coverage/', 'test/otel-next/', '.vitest-cache/']),
  {
    linterOptions: { reportUnusedDisableDirectives: 'error', reportUnusedInlineConfigs: 'error' },
  },
  comments.recommended,
  { rules: { '@eslint-community/eslint-comments/require-description': 'error' } },
  js.configs.recommended,
  { rules: { 'no-unused-vars': unusedVars } },

  // TypeScript: type-aware where it is cheap (one program for src, one for the tests).
  {
    files: ['**/*.ts', '**/*.mts'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: {
        // files outside both projects: the vitest configs and the types of scripts/stack-lib.mjs
        projectService: { allowDefaultProject: ['vitest.config.ts', 'scripts/stack-lib.d.mts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': unusedVars,
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // `import type` for type-only imports (our habit); `typeof import('./x')` stays allowed: it types
      // the lazy require() calls below.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
    },
  },
  {
    // The preload loads modules on first use with require() (typed `as typeof import(...)`): the disabled
    // path must load one small module and the enabled one only what a run uses (README, start-up
    // budget). A static import would load them all at start; import() would be asynchronous.
    files: ['src/**/*.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests read untyped wire data (OTLP/JSON, Jaeger and Prometheus answers) where `any` is the honest type.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },

  // Plain JavaScript: Node scripts (ESM .mjs, CommonJS .js/.cjs) and the viewer's browser page.
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: globals.node },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
  {
    // ES-module packages ("type": "module") whose entries end in .js
    files: ['test/fixtures/fixture-esm/**/*.js'],
    languageOptions: { sourceType: 'module' },
  },
  {
    files: ['viewer/public/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
);
