// Which passes there are: the built-in ones (passes/*.ts, compiled by this package's build into
// dist/passes/<name>.wasm) and a user's, each a .wasm file named in AOB_OPTIMIZER_PASSES — added
// without rebuilding aob: the file is read and checked against the ABI when a pass runs.
import { AobError } from '@aob/core';
import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkModule, type CheckedModule, type PassLimits } from './abi.js';

/** The built-in passes, in the order they run when none are chosen. */
export const BUILTIN_PASSES = ['prune', 'fuse', 'dedupe', 'parallelize', 'memoize'] as const;

export interface PassSource {
  name: string;
  /** The .wasm file. */
  path: string;
  builtin: boolean;
}

// From src/ (tests) and dist/ alike, ../dist/passes/ is where the build put the built-in passes.
const BUILT = fileURLToPath(new URL('../dist/passes/', import.meta.url));

/** A user pass is named after its file: /opt/passes/inline-http.wasm is `inline-http`. */
export function passName(path: string): string {
  return basename(path).replace(/\.wasm$/i, '');
}

/** The built-in passes, then the user's (`files`: paths of .wasm files). */
export function availablePasses(files: readonly string[] = []): PassSource[] {
  return [
    ...BUILTIN_PASSES.map((name) => ({ name, path: `${BUILT}${name}.wasm`, builtin: true })),
    ...files.map((f) => ({ name: passName(f), path: resolve(f), builtin: false })),
  ];
}

/**
 * The passes `names` chooses, in the order given (all available ones, in their order, when none
 * are). An unknown name is OPTIMIZER_UNKNOWN_PASS, naming it and the known ones.
 */
export function choosePasses(
  available: readonly PassSource[],
  names?: readonly string[],
): PassSource[] {
  if (!names || names.length === 0) return [...available];
  const unknown = names.filter((n) => !available.some((p) => p.name === n));
  if (unknown.length > 0) {
    throw new AobError(
      'OPTIMIZER_UNKNOWN_PASS',
      `no pass named ${unknown.join(', ')} (known: ${available.map((p) => p.name).join(', ')})`,
    );
  }
  return names.map((n) => available.find((p) => p.name === n)!);
}

const loaded = new Map<string, { key: string; checked: CheckedModule }>();

/**
 * The pass's module, read and checked against the ABI (abi.ts). Kept while the file is unchanged
 * (same size and modification time), so a replaced file is read again.
 */
export async function loadPass(source: PassSource, limits: PassLimits): Promise<CheckedModule> {
  let info;
  try {
    info = await stat(source.path);
  } catch (err) {
    throw new AobError(
      'OPTIMIZER_UNKNOWN_PASS',
      `pass ${source.name}: cannot read ${source.path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  const key = `${info.size}:${info.mtimeMs}:${limits.maxPages}`;
  const hit = loaded.get(source.path);
  if (hit?.key === key) return hit.checked;
  const bytes = new Uint8Array(await readFile(source.path));
  const checked = checkModule(source.name, bytes, limits);
  loaded.set(source.path, { key, checked });
  return checked;
}
