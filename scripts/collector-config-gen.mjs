#!/usr/bin/env node
// Generates the shipped collector configs (otel-collector.yaml, collector-config/agent.yaml,
// collector-config/gateway.yaml) from collector-config/templates/, so that all of them share ONE list of
// privacy processors, ONE list of secret value rules (collector-config/secret-patterns.txt) and ONE
// list of identifying keys (collector-config/identifying-keys.txt).
//
//   node scripts/collector-config-gen.mjs           write the configs
//   node scripts/collector-config-gen.mjs --check   exit 1 if a config is out of date (used by tests)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CC = path.join(ROOT, 'collector-config');

export const OUTPUTS = {
  'otel-collector.tpl.yaml': path.join(ROOT, 'otel-collector.yaml'),
  'agent.tpl.yaml': path.join(CC, 'agent.yaml'),
  'gateway.tpl.yaml': path.join(CC, 'gateway.yaml'),
};

const lines = (file) =>
  fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trimEnd()).filter((l) => l && !l.startsWith('#'));

/** Secret / personal-data rules, in application order: { when: ['at', 'lit:://'], pattern } ('*' = no condition). */
export function secretRules() {
  return lines(path.join(CC, 'secret-patterns.txt')).map((l) => {
    const i = l.indexOf(' ');
    const when = l.slice(0, i);
    return { when: when === '*' ? [] : when.split('+'), pattern: l.slice(i + 1) };
  });
}

/** Secret / personal-data value patterns (Go RE2), in application order. */
export function secretPatterns() {
  return secretRules().map((r) => r.pattern);
}

/** Identifying attribute keys as one anchored RE2 regex. */
export function identifyingKeysRegex() {
  return '^(?:' + lines(path.join(CC, 'identifying-keys.txt')).join('|') + ')$';
}

// YAML single-quoted scalar; `$` doubled because the collector expands ${...} in config values.
const sq = (s) => "'" + s.replace(/'/g, "''").replace(/\$/g, '$$$$') + "'";

export function render(templateName) {
  const privacy = fs
    .readFileSync(path.join(CC, 'templates', 'privacy-processors.yaml'), 'utf8')
    .split('\n').filter((l) => !l.startsWith('#')).join('\n');
  let t = fs.readFileSync(path.join(CC, 'templates', templateName), 'utf8');
  t = t.replaceAll('__PRIVACY_PROCESSORS__\n', privacy);
  const rules = secretRules()
    .map((r) => `      - when: [${r.when.map(sq).join(', ')}]\n        pattern: ${sq(r.pattern)}`)
    .join('\n');
  t = t.replaceAll('__KEYS__', sq(identifyingKeysRegex())).replaceAll('__DEVTOOL_REDACT_RULES__', rules);
  if (/__[A-Z_]+__/.test(t)) throw new Error(`unreplaced placeholder in ${templateName}`);
  return t;
}

function main() {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [tpl, out] of Object.entries(OUTPUTS)) {
    const text = render(tpl);
    const cur = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
    if (cur === text) continue;
    if (check) {
      console.error(`out of date: ${path.relative(ROOT, out)} (run: node scripts/collector-config-gen.mjs)`);
      stale++;
    } else {
      fs.writeFileSync(out, text);
      console.log(`wrote ${path.relative(ROOT, out)}`);
    }
  }
  process.exit(stale ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
