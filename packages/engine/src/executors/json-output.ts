import { AobError } from '@aob/core';

/**
 * Turns a handler's return value into a plain JSON value, or throws AobError 'BAD_OUTPUT'
 * (non-retryable: the same code would return the same value again).
 *
 * Follows JSON.stringify where it is lossless (`toJSON` is honoured, so Dates become strings;
 * `undefined` properties are dropped and `undefined` array items become null; a top-level
 * `undefined` becomes null) and refuses where JSON.stringify would silently lose or corrupt data:
 * functions, symbols, bigints, non-finite numbers, promises, Maps/Sets, and cycles. Shared
 * (non-cyclic) references are fine and are copied.
 */
export function toJsonOutput(value: unknown): unknown {
  return normalise(value, 'output', new Set<object>());
}

function bad(path: string, what: string): AobError {
  return new AobError('BAD_OUTPUT', `handler output is not JSON-serialisable: ${path} ${what}`, {
    retryable: false,
    details: { path },
  });
}

function normalise(value: unknown, path: string, ancestors: Set<object>): unknown {
  switch (typeof value) {
    case 'undefined':
      return null;
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw bad(path, `is ${String(value)}`);
      return value;
    case 'bigint':
      throw bad(path, 'is a bigint');
    case 'symbol':
      throw bad(path, 'is a symbol');
    case 'function':
      throw bad(path, 'is a function');
  }
  if (value === null) return null;
  const obj = value as object;
  if (ancestors.has(obj)) throw bad(path, 'is a cyclic reference');
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    // toJSON may return the object itself or another object; treat it as a fresh value.
    const replaced: unknown = toJSON.call(obj, path);
    if (replaced === obj) throw bad(path, 'is a cyclic reference');
    ancestors.add(obj);
    try {
      return normalise(replaced, path, ancestors);
    } finally {
      ancestors.delete(obj);
    }
  }
  if (obj instanceof Promise) throw bad(path, 'is a Promise (missing await?)');
  if (
    obj instanceof Map ||
    obj instanceof Set ||
    obj instanceof WeakMap ||
    obj instanceof WeakSet
  ) {
    throw bad(path, `is a ${obj.constructor.name}`);
  }
  ancestors.add(obj);
  try {
    if (Array.isArray(obj)) {
      return obj.map((item: unknown, i) => normalise(item, `${path}[${i}]`, ancestors));
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(obj)) {
      if (item === undefined) continue;
      // defineProperty keeps a "__proto__" key as ordinary data instead of changing the prototype.
      Object.defineProperty(out, key, {
        value: normalise(item, `${path}.${key}`, ancestors),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  } finally {
    ancestors.delete(obj);
  }
}
