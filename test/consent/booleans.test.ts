import { describe, expect, it } from 'vitest';
import { isDebug, parseBool, parseLevel } from '../../src/settings/env-values';

describe('strict booleans', () => {
  const table: Array<[string | undefined, 'unset' | 'true' | 'false' | 'invalid']> = [
    [undefined, 'unset'], ['', 'unset'], ['   ', 'unset'],
    ['1', 'true'], ['true', 'true'], ['TRUE', 'true'], ['True', 'true'], ['yes', 'true'], ['YES', 'true'], ['on', 'true'], ['On', 'true'], [' 1 ', 'true'], ['\ttrue\n', 'true'],
    ['0', 'false'], ['false', 'false'], ['FALSE', 'false'], ['no', 'false'], ['No', 'false'], ['off', 'false'], ['OFF', 'false'], [' 0', 'false'],
    ['2', 'invalid'], ['-1', 'invalid'], ['y', 'invalid'], ['n', 'invalid'], ['disabled', 'invalid'], ['enable', 'invalid'], ['t', 'invalid'],
    ['truee', 'invalid'], ['1.0', 'invalid'], ['nope', 'invalid'], ['"1"', 'invalid'], ['on off', 'invalid'],
  ];
  it.each(table)('%j -> %s', (raw, kind) => {
    expect(parseBool(raw).kind).toBe(kind);
  });
});

describe('level names', () => {
  const table: Array<[unknown, string]> = [
    [undefined, 'unset'], [null, 'unset'], ['', 'unset'],
    ['off', 'off'], ['OFF', 'off'], [' minimal ', 'minimal'], ['Usage', 'usage'], ['full', 'full'],
    ['none', 'invalid'], ['all', 'invalid'], ['verbose', 'invalid'], ['1', 'invalid'], [3, 'invalid'], [true, 'invalid'], [{}, 'invalid'],
  ];
  it.each(table)('%j -> %s', (raw, want) => {
    const p = parseLevel(raw);
    expect(p.kind === 'level' ? p.level : p.kind).toBe(want);
  });
});

describe('isDebug', () => {
  const table: Array<[string | undefined, boolean]> = [
    [undefined, false], ['', false], ['0', false], ['false', false], ['off', false],
    ['1', true], ['yes', true], ['ON', true],
    // Unparsable: debug is the mode that sends nothing, so it is the safer reading.
    ['maybe', true],
  ];
  it.each(table)('DEVTOOL_TELEMETRY_DEBUG=%j -> %s', (raw, want) => {
    expect(isDebug(raw === undefined ? {} : { DEVTOOL_TELEMETRY_DEBUG: raw })).toBe(want);
  });
});
