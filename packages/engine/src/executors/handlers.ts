import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AobError } from '@aob/core';
import type { TaskHandler } from './types.js';

/**
 * Loads task handlers from a user ES module: every named export that is a function, plus the
 * function-valued properties of a default export that is an object. A named export wins over a
 * default-object property of the same name. Relative paths resolve against the working directory.
 *
 * The result has no prototype and is frozen, so a handler name can never resolve to an inherited
 * property and a loaded set cannot be changed behind the runner's back.
 */
export async function loadHandlers(file: string): Promise<Record<string, TaskHandler>> {
  const path = resolve(file);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) {
    throw new AobError('HANDLERS_NOT_FOUND', `handlers module not found: ${path}`, {
      retryable: false,
      details: { path },
    });
  }

  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new AobError('HANDLERS_LOAD_FAILED', `cannot load handlers module ${path}: ${message}`, {
      retryable: false,
      details: { path, cause: message },
    });
  }

  const handlers = Object.create(null) as Record<string, TaskHandler>;
  const def = mod['default'];
  if (typeof def === 'object' && def !== null) collect(def as Record<string, unknown>, handlers);
  const named = Object.fromEntries(Object.entries(mod).filter(([name]) => name !== 'default'));
  collect(named, handlers);
  return Object.freeze(handlers);
}

function collect(source: Record<string, unknown>, into: Record<string, TaskHandler>): void {
  for (const [name, value] of Object.entries(source)) {
    if (typeof value === 'function') into[name] = value as TaskHandler;
  }
}
