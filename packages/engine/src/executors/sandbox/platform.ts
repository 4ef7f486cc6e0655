import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Finds an executable on the runner's PATH (the child gets an empty environment, so no PATH). */
export function which(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface SandboxPlatform {
  python?: string;
  /** argv prefix that runs a command in a fresh network namespace (loopback only, down), if any. */
  netns?: string[];
  /** uid/gid to drop to when the runner is root (nobody), so a snippet is never root. */
  dropTo?: number;
}

/**
 * The first python3 that starts with an empty environment as the sandbox uid: a PATH entry may
 * be a version-manager shim under a home directory the sandbox uid cannot read.
 */
function findPython(uid: number | undefined): string | undefined {
  const candidates = [which('python3'), '/usr/bin/python3', '/usr/local/bin/python3'];
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    const probe = spawnSync(candidate, ['-I', '-c', 'pass'], {
      env: {},
      cwd: '/',
      stdio: 'ignore',
      timeout: 5000,
      ...(uid === undefined ? {} : { uid, gid: uid }),
    });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

let cached: SandboxPlatform | undefined;

/**
 * Probes once what this host offers: python3, and whether `unshare --net` works (as root) or
 * `unshare --user --map-root-user --net` (unprivileged user namespaces).
 */
export function sandboxPlatform(): SandboxPlatform {
  if (cached !== undefined) return cached;
  const platform: SandboxPlatform = {};
  const root = process.getuid?.() === 0;
  if (root) platform.dropTo = 65534;
  const python = findPython(platform.dropTo);
  if (python !== undefined) platform.python = python;
  const unshare = which('unshare');
  if (unshare !== undefined && process.platform === 'linux') {
    const variants = root
      ? [['--net', '--setuid', '65534', '--setgid', '65534']]
      : [['--user', '--map-root-user', '--net']];
    for (const flags of variants) {
      const probe = spawnSync(unshare, [...flags, '--', '/bin/true'], {
        stdio: 'ignore',
        timeout: 5000,
      });
      if (probe.status === 0) {
        platform.netns = [unshare, ...flags, '--'];
        break;
      }
    }
  }
  cached = platform;
  return platform;
}
