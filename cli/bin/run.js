#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { execute, Plugin } from '@oclif/core';
import { manifestIsFresh } from './fresh-manifest.js';

const root = fileURLToPath(new URL('..', import.meta.url));
if (manifestIsFresh(root)) {
  await execute({ dir: import.meta.url });
} else {
  // No manifest, or one older than the built commands: oclif would trust it, so the root plugin is
  // loaded here from the command modules themselves and handed over.
  const plugin = new Plugin({ root, isRoot: true, ignoreManifest: true });
  await plugin.load();
  await execute({ loadOptions: { root, plugins: new Map([[plugin.name, plugin]]) } });
}
