#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { asksForVersion, versionLine } from './version.js';

const root = fileURLToPath(new URL('..', import.meta.url));
if (asksForVersion(process.argv.slice(2))) {
  process.stdout.write(`${versionLine(new URL('..', import.meta.url))}\n`);
} else {
  await runOclif();
}

async function runOclif() {
  const { execute, Plugin } = await import('@oclif/core');
  const { manifestIsFresh } = await import('./fresh-manifest.js');
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
