/**
 * Human-readable OS name and description. The stock OTel osDetector gives only os.type and
 * os.version (the kernel), so Linux distributions come from os-release(5), macOS from its
 * SystemVersion.plist and Windows from os.version(). Missing files are normal (containers,
 * minimal images): the attributes are then simply absent.
 */
import fs = require('node:fs');
import os = require('node:os');

export interface OsInfo {
  type: string;
  version: string;
  name?: string;
  description?: string;
}

const OS_TYPES: Record<string, string> = { win32: 'windows', sunos: 'solaris' };

/** Parse os-release(5): KEY=value lines, values optionally quoted with shell escapes. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!.trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) {
      v = v.slice(1, -1).replace(/\\(["'$`\\])/g, '$1');
    }
    out[m[1]!] = v;
  }
  return out;
}

function readFirst(files: string[]): string | undefined {
  for (const f of files) {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch {
      /* try the next one */
    }
  }
  return undefined;
}

function linux(): Pick<OsInfo, 'name' | 'description'> {
  // The override (tests, unusual layouts) replaces both standard locations.
  const override = process.env.DEVTOOL_TELEMETRY_OS_RELEASE_FILE;
  const text = readFirst(override ? [override] : ['/etc/os-release', '/usr/lib/os-release']);
  if (!text) return {};
  const r = parseOsRelease(text);
  const name = r.NAME || r.ID;
  const description = r.PRETTY_NAME || [name, r.VERSION || r.VERSION_ID].filter(Boolean).join(' ');
  return { name: name || undefined, description: description || undefined };
}

function macos(): Pick<OsInfo, 'name' | 'description'> {
  const plist = readFirst(['/System/Library/CoreServices/SystemVersion.plist']);
  const version = plist && /<key>ProductVersion<\/key>\s*<string>([^<]{1,32})<\/string>/.exec(plist)?.[1];
  return { name: 'macOS', description: version ? `macOS ${version}` : 'macOS' };
}

export function detectOs(): OsInfo {
  const platform = process.platform;
  const info: OsInfo = { type: OS_TYPES[platform] ?? platform, version: os.release() };
  try {
    if (platform === 'linux') Object.assign(info, linux());
    else if (platform === 'darwin') Object.assign(info, macos());
    else if (platform === 'win32') Object.assign(info, { name: 'Windows', description: os.version() });
  } catch {
    /* names are optional */
  }
  return info;
}
