#!/usr/bin/env node
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { asksForVersion, versionLine } from './version.js';

const root = fileURLToPath(new URL('..', import.meta.url));
if (asksForVersion(process.argv.slice(2))) {
  process.stdout.write(`${versionLine(new URL('..', import.meta.url))}\n`);
} else {
  await runOclif();
}

async function runOclif() {
  const { manifestIsFresh } = await import('./fresh-manifest.js');
  const bundle = join(root, 'dist', 'bundle');
  if (manifestIsFresh(root, bundle)) {
    // The build's bundle (scripts/bundle.mjs): a second oclif root whose commands and oclif are
    // each one module and a few shared chunks, not hundreds of files.
    const entry = pathToFileURL(join(bundle, 'oclif.js')).href;
    const { execute, settings } = await import(entry);
    builtOnly(settings);
    await execute({ dir: entry });
    return;
  }
  const { execute, Plugin, settings } = await import('@oclif/core');
  builtOnly(settings);
  if (manifestIsFresh(root)) {
    await execute({ dir: import.meta.url });
  } else {
    // No manifest, or one older than the built commands: oclif would trust it, so the root plugin is
    // loaded here from the command modules themselves and handed over.
    const plugin = new Plugin({ root, isRoot: true, ignoreManifest: true });
    await plugin.load();
    await execute({ loadOptions: { root, plugins: new Map([[plugin.name, plugin]]) } });
  }
}

/**
 * The CLI runs its compiled modules only. Without this, oclif looks for TypeScript sources to run
 * whenever NODE_ENV is `development` or `test` (loading the TypeScript compiler to read
 * tsconfig.json: ~10 MB of code).
 */
function builtOnly(settings) {
  settings.enableAutoTranspile = false;
}
