/**
 * The scrubber's pre-filters (patterns.ts): cheap scans that say a value cannot match a rule, so the
 * rule's regex never runs on it. Compiling a regex happens on its first use, and the rules' large
 * alternations cost ~0.3-1 ms each to compile: on a short run's few values, most of sanitizing.
 * Each pre-filter may only skip values its rule cannot match; test/privacy/prefilter.test.ts holds
 * every rule in secret-rules.json and patterns.ts to that, so a new rule that breaks it fails there.
 */
import * as RULES from './secret-rules.json';

/**
 * The vendor-key and AWS-id rules: every match contains a run of at least `tokenTailMin` characters
 * of `tokenTail` (a vendor key's tail, or its fixed-length head of 20+ such characters; an AWS id's
 * 16-character body), so a value without such a run cannot match.
 */
const TAIL_RUN = RULES.tokenTailMin;
export function hasTailRun(s: string): boolean {
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // [A-Za-z0-9_.=+/-]
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 61 || c === 43 || c === 47 || c === 45) {
      if (++run >= TAIL_RUN) return true;
    } else run = 0;
  }
  return false;
}

/**
 * The literal text every match of a regex fragment begins with ('' when a match can begin with
 * anything, or the fragment is itself an alternation: no pre-filter then). `sk-ant-(?:api|…)` →
 * `sk-ant-`, `gh[pousr]_` → `gh`, `credentials?` → `credential`.
 */
export function literalLead(fragment: string): string {
  if (hasTopLevelBar(fragment)) return '';
  let out = '';
  for (let i = 0; i < fragment.length; i++) {
    const ch = fragment[i]!;
    if ('\\^$.|?*+()[]{}'.includes(ch)) break;
    const next = fragment[i + 1];
    if (next === '?' || next === '*' || next === '{') break; // optional: not in every match
    out += ch;
    if (next === '+') break;
  }
  return out;
}

/** `a|b` outside any group or class: the fragment's matches need not begin alike. */
function hasTopLevelBar(fragment: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < fragment.length; i++) {
    const ch = fragment[i];
    if (ch === '\\') i++;
    else if (inClass) inClass = ch !== ']';
    else if (ch === '[') inClass = true;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '|' && depth === 0) return true;
  }
  return false;
}

/** Leads of a rule's alternatives; undefined when one has none (the rule then always runs). */
export function leadsOf(fragments: readonly string[], lower = false): string[] | undefined {
  const leads = fragments.map((f) => (lower ? literalLead(f).toLowerCase() : literalLead(f)));
  return leads.includes('') ? undefined : leads;
}

/** Could `s` contain a match of a rule with these leads? (`s` lower-cased for the `i` rules.) */
export function hasLead(s: string, leads: readonly string[] | undefined): boolean {
  if (leads === undefined) return true;
  for (const lead of leads) if (s.indexOf(lead) >= 0) return true;
  return false;
}

/** IPv4 needs three literal dots. */
export function hasThreeDots(s: string): boolean {
  let n = 0;
  for (let i = s.indexOf('.'); i >= 0; i = s.indexOf('.', i + 1)) if (++n === 3) return true;
  return false;
}
