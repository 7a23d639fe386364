/**
 * Where the tool runs, as enum values only (never a variable's content): CI vendor, container,
 * hardware size class. The AI-agent enum comes from the consent module (it also gates prompts).
 */
import fs = require('node:fs');
import os = require('node:os');

/** CI vendor as a lowercase slug ("github-actions"), from ci-info's vendor table. */
export function ciVendor(): string | undefined {
  try {
    const ci = require('ci-info') as { isCI: boolean; name: string | null };
    if (!ci.isCI) return undefined;
    return (ci.name || 'other').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'other';
  } catch {
    return undefined;
  }
}

/** Inside a container? Same signals as is-inside-container (which is ESM-only): marker files, cgroup. */
export function insideContainer(): boolean {
  try {
    if (fs.existsSync('/.dockerenv') || fs.existsSync('/run/.containerenv')) return true;
    const cgroup = fs.readFileSync('/proc/self/cgroup', 'utf8');
    return /docker|kubepods|containerd|libpod|lxc/.test(cgroup);
  } catch {
    return false;
  }
}

/** Total memory as a coarse bucket, so it describes a class of machine, not one machine. */
export function memoryBucket(bytes = os.totalmem()): string {
  const gib = bytes / 2 ** 30;
  const edges = [2, 4, 8, 16, 32, 64, 128, 256];
  let lo = 0;
  for (const e of edges) {
    if (gib < e) return `${lo}-${e}GiB`;
    lo = e;
  }
  return `${lo}+GiB`;
}

export function cpuCount(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

const ARCH: Record<string, string> = { x64: 'amd64', ia32: 'x86', arm: 'arm32' };

export function hostArch(): string {
  return ARCH[process.arch] ?? process.arch;
}
