/**
 * The resource of a run: tool identity, OS, runtime, distribution, environment enums and the
 * anonymous ids. Built once, at the first flush (off the start-up path). Deliberately absent:
 * host.name/id/ip, process.owner/command_args/executable.path, cwd, user name, env values.
 * `OTEL_RESOURCE_ATTRIBUTES` is merged here and, like everything, still passes the sanitizer.
 */
import { settingsOf } from '../settings/settings';
import fs = require('node:fs');
import path = require('node:path');
import type { Attributes } from '../model/records';
import { packageRoot } from '../storage/package-root';
import { ciVendor, cpuCount, hostArch, insideContainer, memoryBucket } from './environment';
import { detectOs } from './os-release';

/** Who ran: what a run's resource says about the tool, the environment and the ids. */
export interface RunIdentity {
  toolName?: string;
  toolVersion?: string;
  ci: boolean;
  /** The AI coding agent driving the process (consent/ai-agent.ts enum), if any. */
  agent?: string;
  installId?: string;
  sessionId?: string;
}

export interface ResourceInput extends RunIdentity {
  env: NodeJS.ProcessEnv;
}

/** Set by scripts/build.mjs in the bundles: our package.json version, so no run reads the file for it. */
declare const __PACKAGE_VERSION__: string | undefined;
let distroVersion: string | undefined = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : undefined;

/** Our own version (telemetry.distro.version): built in, else from our package.json. */
export function distroVersionString(): string {
  if (distroVersion !== undefined) return distroVersion;
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
    return (distroVersion = typeof pkg.version === 'string' ? pkg.version : 'unknown');
  } catch {
    return (distroVersion = 'unknown');
  }
}

/** W3C Baggage-style `k=v,k2=v2` with percent-encoding, as the OTel spec defines it. Bad pairs are skipped. */
export function parseResourceAttributes(raw: string | undefined): Attributes {
  const out: Attributes = {};
  if (!raw) return out;
  for (const pair of raw.split(',')) {
    const i = pair.indexOf('=');
    if (i <= 0) continue;
    try {
      const key = decodeURIComponent(pair.slice(0, i).trim());
      const value = decodeURIComponent(pair.slice(i + 1).trim());
      if (key) out[key] = value;
    } catch {
      /* malformed percent-encoding: skip the pair */
    }
  }
  return out;
}

export function detectResource(input: ResourceInput): Attributes {
  const { env } = input;
  const os = detectOs();
  const version = distroVersionString();
  const attrs: Attributes = {
    // Lowest precedence first: OTEL_RESOURCE_ATTRIBUTES may not override what we detect.
    ...parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES),
  };
  const name = settingsOf(env).serviceName || input.toolName || 'unknown_service:node';
  Object.assign(attrs, {
    'service.name': name,
    'os.type': os.type,
    'os.version': os.version,
    'host.arch': hostArch(),
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    'process.runtime.description': 'Node.js',
    'telemetry.sdk.name': 'devtool-telemetry',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.version': version,
    'telemetry.distro.name': 'devtool-telemetry',
    'telemetry.distro.version': version,
    'devtool.ci': input.ci,
    'devtool.container': insideContainer(),
    'devtool.host.cpu.count': cpuCount(),
    'devtool.host.memory.total.bucket': memoryBucket(),
  } satisfies Attributes);
  if (input.toolVersion) attrs['service.version'] = input.toolVersion;
  if (os.name) attrs['os.name'] = os.name;
  if (os.description) attrs['os.description'] = os.description;
  const vendor = input.ci ? ciVendor() : undefined;
  if (vendor) attrs['devtool.ci.vendor'] = vendor;
  if (input.agent) attrs['devtool.agent'] = input.agent;
  if (input.installId) attrs['app.installation.id'] = input.installId;
  if (input.sessionId) attrs['session.id'] = input.sessionId;
  return attrs;
}
