// How bin/run.js finds the commands. The build writes oclif's manifest
// (cli/scripts/write-manifest.mjs), then bundles the commands into dist/bundle with a manifest of
// their own (cli/scripts/bundle.mjs). bin/run.js takes the bundle while its manifest is newer than
// every built command module, else cli/oclif.manifest.json while that one is, else reads the
// commands from their modules: a stale or missing manifest never hides a command.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bin, repo } from './helpers.js';

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
  commands: Record<string, { relativePath: string[] }>;
}

const bundle = join(cli, 'dist', 'bundle');

function builtManifest(dir = cli): Manifest {
  return JSON.parse(readFileSync(join(dir, 'oclif.manifest.json'), 'utf8')) as Manifest;
}

let copy: string | undefined;
afterEach(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
  copy = undefined;
});

function writeDated(file: string, manifest: Manifest, ageMs: number): void {
  writeFileSync(file, JSON.stringify(manifest));
  const when = (Date.now() - ageMs) / 1000;
  utimesSync(file, when, when);
}

/**
 * A copy of the CLI's root (bin, package.json; dist's compiled modules linked) with `manifest` as
 * its manifest, dated `ageMs` before the built commands; inside cli/, so its imports resolve as the
 * real one's. Its dist/bundle is the real bundle's files linked with `bundled` as the bundle's
 * manifest, or absent.
 */
function cliWithManifest(
  manifest: Manifest,
  ageMs: number,
  bundled?: { manifest: Manifest; ageMs: number },
): string {
  copy = join(cli, 'test-artifacts', `manifest-${process.pid}`);
  rmSync(copy, { recursive: true, force: true });
  mkdirSync(join(copy, 'dist'), { recursive: true });
  cpSync(join(cli, 'bin'), join(copy, 'bin'), { recursive: true });
  cpSync(join(cli, 'package.json'), join(copy, 'package.json'));
  for (const entry of readdirSync(join(cli, 'dist'))) {
    if (entry !== 'bundle') symlinkSync(join(cli, 'dist', entry), join(copy, 'dist', entry));
  }
  writeDated(join(copy, 'oclif.manifest.json'), manifest, ageMs);
  if (bundled) {
    const copied = join(copy, 'dist', 'bundle');
    mkdirSync(copied);
    for (const entry of readdirSync(bundle)) {
      if (entry !== 'oclif.manifest.json') symlinkSync(join(bundle, entry), join(copied, entry));
    }
    writeDated(join(copied, 'oclif.manifest.json'), bundled.manifest, bundled.ageMs);
  }
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

/** The files one `aob` process loads: ES modules through a load hook, CommonJS from require.cache. */
function filesLoadedBy(args: string[]): { files: string[]; code: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'aob-loaded-'));
  try {
    const out = join(dir, 'loaded.txt');
    writeFileSync(
      join(dir, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(out, new URL(url).pathname + '\\n');
  return next(url, context);
}
`,
    );
    writeFileSync(
      join(dir, 'preload.mjs'),
      `import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
register('./hooks.mjs', import.meta.url, { data: { out: ${JSON.stringify(out)} } });
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => appendFileSync(${JSON.stringify(out)}, Object.keys(cache).join('\\n') + '\\n'));
`,
    );
    writeFileSync(out, '');
    const r = spawnSync(process.execPath, ['--import', join(dir, 'preload.mjs'), bin, ...args], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    const files = [...new Set(readFileSync(out, 'utf8').split('\n').filter(Boolean))];
    return {
      files: files.filter((f) => !f.startsWith(dir)),
      code: r.status,
      out: r.stdout + r.stderr,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the bundle', () => {
  it('the build bundles every command of the manifest, each into a file of its own', () => {
    const bundled = builtManifest(bundle);
    expect(Object.keys(bundled.commands).sort()).toEqual(
      Object.keys(builtManifest().commands).sort(),
    );
    for (const command of Object.values(bundled.commands)) {
      expect(existsSync(join(bundle, ...command.relativePath))).toBe(true);
    }
  });

  it('runs a command from a few bundled files, none of the compiled modules', () => {
    const workflow = join(mkdtempSync(join(tmpdir(), 'aob-bundle-')), 'one.json');
    writeFileSync(
      workflow,
      JSON.stringify({
        name: 'one',
        version: '1',
        nodes: [{ id: 'sum', type: 'transform', with: { value: '{% 1 + 2 %}' } }],
      }),
    );
    const r = filesLoadedBy(['run', 'start', workflow, '--store', 'memory', '--json']);
    rmSync(join(workflow, '..'), { recursive: true, force: true });
    expect(r.code, r.out).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'completed', output: 3 });
    const ours = r.files.filter((f) => f.startsWith(repo) && !f.includes('/node_modules/'));
    const outside = ours.filter(
      (f) => !f.startsWith(`${bundle}/`) && !f.startsWith(join(cli, 'bin') + '/'),
    );
    expect(outside, 'modules loaded from outside cli/bin and cli/dist/bundle').toEqual([]);
    expect(ours).toContain(join(bundle, 'run-start.js'));
    // Every library it needs is in the bundle (oclif reads its own package.json for its version),
    // and the memory store needs no SQLite addon.
    const fromNodeModules = r.files.filter((f) => f.includes('/node_modules/'));
    expect(fromNodeModules.filter((f) => !f.endsWith('/package.json'))).toEqual([]);
  });

  it('points every self-locating module at a file that exists', () => {
    const places = new Set<string>();
    for (const file of readdirSync(bundle).filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(join(bundle, file), 'utf8');
      for (const m of text.matchAll(/__aobOriginal(?:Url|Path)\("([^"]+)"\)/g)) places.add(m[1]!);
    }
    expect(places.size).toBeGreaterThan(5);
    const missing = [...places].filter((place) => !existsSync(resolve(bundle, place)));
    expect(missing).toEqual([]);
  });

  it('is used while its manifest is fresh: a command it does not list is unknown', () => {
    const bundled = builtManifest(bundle);
    delete bundled.commands['run:get'];
    const binary = cliWithManifest(builtManifest(), -60_000, { manifest: bundled, ageMs: -60_000 });
    expect(runHelp(binary, ['run', 'get']).code).not.toBe(0);
    expect(runHelp(binary, ['run', 'list']).code).toBe(0);
  });

  it('is ignored once older than a built command: the CLI falls back to the compiled modules', () => {
    const bundled = builtManifest(bundle);
    delete bundled.commands['run:get'];
    const binary = cliWithManifest(builtManifest(), -60_000, {
      manifest: bundled,
      ageMs: 365 * 24 * 3600_000,
    });
    const help = runHelp(binary, ['run', 'get']);
    expect(help.code, help.out).toBe(0);
    expect(help.out).toContain('aob run get');
  });
});
