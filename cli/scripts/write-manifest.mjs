// Writes cli/oclif.manifest.json, oclif's list of the commands with their flags and arguments, from
// the built command modules (dist/commands). With it, `aob` loads only the module of the command
// it runs (and none for --version or --help); without it, oclif imports every command module at
// start-up to learn their ids. Run by the package's build after tsc, so a new command appears
// without anyone listing it; the file is not committed (.gitignore). bin/run.js ignores a manifest
// older than the command modules (fresh-manifest.js), so a build without this step stays correct.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Plugin } from '@oclif/core';

const root = fileURLToPath(new URL('..', import.meta.url));
const plugin = new Plugin({
  root,
  isRoot: true,
  ignoreManifest: true,
  errorOnManifestCreate: true,
});
await plugin.load();
const file = join(root, 'oclif.manifest.json');
writeFileSync(file, `${JSON.stringify(plugin.manifest, null, 2)}\n`);
console.log(`${file}: ${Object.keys(plugin.manifest.commands).length} commands`);
