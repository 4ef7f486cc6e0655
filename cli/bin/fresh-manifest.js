// Whether an oclif manifest describes the built commands: it exists and is newer than every file
// and directory under dist/commands (a directory's time changes when a command is added or removed;
// a file's when it is rebuilt). The build writes cli/oclif.manifest.json after compiling and the
// bundle's manifest (dist/bundle/oclif.manifest.json) last, so either is stale only after a compile
// without those steps (e.g. `tsc -b` alone) — then the commands are read from their modules, slower
// but never stale. About 50 stat calls.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const MANIFEST = 'oclif.manifest.json';

/** Whether `<dir>/oclif.manifest.json` is newer than everything under `<root>/dist/commands`. */
export function manifestIsFresh(root, dir = root) {
  let manifestTime;
  try {
    manifestTime = statSync(join(dir, MANIFEST)).mtimeMs;
  } catch {
    return false;
  }
  const newerThanManifest = (path) => {
    if (statSync(path).mtimeMs > manifestTime) return true;
    return readdirSync(path, { withFileTypes: true }).some((entry) =>
      entry.isDirectory()
        ? newerThanManifest(join(path, entry.name))
        : statSync(join(path, entry.name)).mtimeMs > manifestTime,
    );
  };
  try {
    return !newerThanManifest(join(root, 'dist', 'commands'));
  } catch {
    return false;
  }
}
