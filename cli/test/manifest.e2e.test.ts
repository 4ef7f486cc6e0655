// The oclif manifest the build writes (cli/scripts/write-manifest.mjs): it lists every built
// command, and bin/run.js trusts it only while it is newer than every built command module — a
// stale or missing one makes the CLI read the commands from their modules, never hide one.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repo } from './helpers.js';

const cli = join(repo, 'cli');

/** Command ids of the built command modules: run/start.js → run:start. */
function builtCommandIds(dir = join(cli, 'dist', 'commands')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return builtCommandIds(path);
    if (!entry.name.endsWith('.js')) return [];
    return [
      relative(join(cli, 'dist', 'commands'), path)
        .slice(0, -3)
        .split('/')
        .join(':'),
    ];
  });
}

interface Manifest {
  commands: Record<string, unknown>;
}

function builtManifest(): Manifest {
  return JSON.parse(readFileSync(join(cli, 'oclif.manifest.json'), 'utf8')) as Manifest;
}

let copy: string | undefined;
afterEach(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
  copy = undefined;
});

/**
 * A copy of the CLI's root (bin, package.json; dist linked) with `manifest` as its manifest,
 * dated `ageMs` before the built commands; inside cli/, so its imports resolve as the real one's.
 */
function cliWithManifest(manifest: Manifest, ageMs: number): string {
  copy = join(cli, 'test-artifacts', `manifest-${process.pid}`);
  rmSync(copy, { recursive: true, force: true });
  mkdirSync(copy, { recursive: true });
  cpSync(join(cli, 'bin'), join(copy, 'bin'), { recursive: true });
  cpSync(join(cli, 'package.json'), join(copy, 'package.json'));
  symlinkSync(join(cli, 'dist'), join(copy, 'dist'));
  const file = join(copy, 'oclif.manifest.json');
  writeFileSync(file, JSON.stringify(manifest));
  const when = (Date.now() - ageMs) / 1000;
  utimesSync(file, when, when);
  return join(copy, 'bin', 'run.js');
}

function runHelp(binary: string, command: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [binary, ...command, '--help'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('the oclif manifest', () => {
  it('the build lists every built command in it', () => {
    const manifest = builtManifest();
    expect(Object.keys(manifest.commands).sort()).toEqual(builtCommandIds().sort());
  });

  it('is used while fresh: a command it does not list is unknown', () => {
    const manifest = builtManifest();
    delete manifest.commands['run:get'];
    const binary = cliWithManifest(manifest, -60_000); // newer than every built module
    expect(runHelp(binary, ['run', 'get']).code).not.toBe(0);
  });

  it('is ignored once older than a built command: every command is found from its module', () => {
    const manifest = builtManifest();
    delete manifest.commands['run:get'];
    const binary = cliWithManifest(manifest, 365 * 24 * 3600_000);
    const help = runHelp(binary, ['run', 'get']);
    expect(help.code, help.out).toBe(0);
    expect(help.out).toContain('aob run get');
  });
});
