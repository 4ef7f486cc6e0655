// Names that must never become keys of an object used as a map. A node id `__proto__` once made
// `state.nodes[id]` answer Object.prototype, and the fold then wrote `status`, `attempt`, … onto
// every object in the process. Such ids are refused wherever ids come from (definitions, patches,
// which are validated as definitions, and run inputs), and the maps keyed by ids are written
// with own-property semantics as well.
import type { Problem } from '../errors.js';
import { escapePointer } from '../expr/template.js';
import type { Graph } from './graph.js';

export const RESERVED_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
]);

/** RESERVED_ID for node ids, and for input names the definition's input schema declares. */
export function reservedIdProblems(doc: unknown, g: Graph): Problem[] {
  const out: Problem[] = [];
  for (const n of g.nodes) {
    if (n.id !== undefined && RESERVED_KEYS.has(n.id)) {
      out.push({
        code: 'RESERVED_ID',
        path: `/nodes/${n.index}/id`,
        message: `'${n.id}' cannot be a node id: it names a property of every JavaScript object (reserved: ${[...RESERVED_KEYS].join(', ')})`,
      });
    }
  }
  const inputs = (doc as { inputs?: { properties?: unknown } } | null)?.inputs?.properties;
  if (inputs !== null && typeof inputs === 'object') {
    for (const name of Object.keys(inputs)) {
      if (RESERVED_KEYS.has(name)) {
        out.push({
          code: 'RESERVED_ID',
          path: `/inputs/properties/${escapePointer(name)}`,
          message: `'${name}' cannot be an input name (reserved: ${[...RESERVED_KEYS].join(', ')})`,
        });
      }
    }
  }
  return out;
}

/** RESERVED_KEY for every `__proto__` key anywhere in a JSON value (iteratively: no deep stack). */
export function protoKeyProblems(value: unknown, root: string): Problem[] {
  const out: Problem[] = [];
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [v, pointer] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push([item, `${pointer}/${i}`]));
      continue;
    }
    for (const key of Object.keys(v)) {
      const at = `${pointer}/${escapePointer(key)}`;
      if (key === '__proto__') {
        out.push({
          code: 'RESERVED_KEY',
          path: at,
          message: "the key '__proto__' is not allowed: it would replace an object's prototype",
        });
      }
      stack.push([(v as Record<string, unknown>)[key], at]);
    }
  }
  return out;
}
