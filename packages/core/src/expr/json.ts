// JSONata results are not always plain JSON: sequences are arrays with extra flags, "no match" is
// `undefined`, and lambdas are objects. toJsonValue turns a result into the JSON value it denotes.

const ARRAY_FLAGS = ['sequence', 'keepSingleton', 'outerWrapper', 'tupleStream', 'cons'] as const;

function isLambda(v: object): boolean {
  const f = v as { _jsonata_lambda?: unknown; _jsonata_function?: unknown };
  return f._jsonata_lambda === true || f._jsonata_function === true;
}

/**
 * The JSON value a result denotes, as `JSON.stringify` would see it: `undefined` (and functions)
 * for nothing, arrays without JSONata's flags, non-finite numbers as null. Copy-on-write: a value
 * that is already plain JSON is returned as is (it may share structure with the context; treat
 * both as immutable).
 */
export function toJsonValue(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'object':
      return value === null ? null : plainObject(value);
    default:
      return undefined;
  }
}

function plainObject(value: object): unknown {
  if (isLambda(value)) return undefined;
  if (Array.isArray(value)) return plainArray(value);
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return toJsonValue((value as { toJSON(): unknown }).toJSON());
  }
  const src = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  const keys = Object.keys(src);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const before = src[key];
    const after = toJsonValue(before);
    if (after === before && after !== undefined && out === undefined) continue;
    if (out === undefined) {
      out = {};
      for (let j = 0; j < i; j++) setKey(out, keys[j]!, src[keys[j]!]);
    }
    if (after !== undefined) setKey(out, key, after);
  }
  return out ?? value;
}

function plainArray(value: unknown[]): unknown[] {
  const flagged = ARRAY_FLAGS.some((f) => Object.prototype.hasOwnProperty.call(value, f));
  let out: unknown[] | undefined = flagged ? [] : undefined;
  for (let i = 0; i < value.length; i++) {
    const before = value[i];
    const converted = toJsonValue(before);
    const after = converted === undefined ? null : converted;
    if (out === undefined) {
      if (after === before) continue;
      out = value.slice(0, i);
    }
    out[i] = after;
  }
  return out ?? value;
}

/** Sets an own property, even `__proto__`, without touching the prototype chain. */
export function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    obj[key] = value;
  }
}

/** JSONata's boolean cast ($boolean): how a `when` guard's value decides whether an edge is taken. */
export function truthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      return value !== 0;
    case 'string':
      return value.length > 0;
    case 'object':
      if (Array.isArray(value)) return value.some(truthy);
      if (isLambda(value)) return false;
      return Object.keys(value).length > 0;
    default:
      return false;
  }
}
