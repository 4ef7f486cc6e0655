// Where a patch may write (ARCHITECTURE §4): only inside `/nodes`, `/edges` and `/output` of the
// definition, never the root, and never through a segment that reaches JavaScript's object
// machinery (`__proto__`, `constructor`, `prototype`) — whatever applies the patch later.
import type { Problem } from '../errors.js';
import { escapePointer } from '../expr/template.js';

export const PATCHABLE_ROOTS: readonly string[] = ['nodes', 'edges', 'output'];
export const FORBIDDEN_SEGMENTS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/** The unescaped segments of an RFC 6901 pointer, or undefined when it is not one. */
export function parsePointer(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/') || /~[^01]|~$/.test(pointer)) return undefined;
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function toPointer(segments: readonly string[]): string {
  return segments.map((s) => `/${escapePointer(s)}`).join('');
}

/** Why `pointer` may not be written or read by a patch, or undefined when it may. */
export function forbiddenPathReason(pointer: string): string | undefined {
  const segments = parsePointer(pointer);
  if (segments === undefined) return undefined; // the schema check reports malformed pointers
  const bad = segments.find((s) => FORBIDDEN_SEGMENTS.includes(s));
  if (bad !== undefined) return `'${pointer}' goes through '${bad}'`;
  if (segments.length === 0) return 'the whole definition may not be replaced (the root path)';
  if (!PATCHABLE_ROOTS.includes(segments[0]!)) {
    return `'${pointer}' is outside /nodes, /edges and /output`;
  }
  return undefined;
}

/** FORBIDDEN_PATH problems of one operation (`path` and `from`), at /ops/<index>/path|from. */
export function pathProblems(op: Record<string, unknown>, index: number): Problem[] {
  const out: Problem[] = [];
  for (const field of ['path', 'from'] as const) {
    const pointer = op[field];
    if (typeof pointer !== 'string') continue;
    const reason = forbiddenPathReason(pointer);
    if (reason) {
      out.push({ code: 'FORBIDDEN_PATH', path: `/ops/${index}/${field}`, message: reason });
    }
  }
  return out;
}

/** FORBIDDEN_PATH problems for `__proto__` keys inside an operation's value. */
export function valueKeyProblems(value: unknown, base: string): Problem[] {
  const out: Problem[] = [];
  const walk = (v: unknown, at: string): void => {
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, `${at}/${i}`));
      return;
    }
    for (const key of Object.keys(v)) {
      const here = `${at}/${escapePointer(key)}`;
      if (key === '__proto__') {
        out.push({
          code: 'FORBIDDEN_PATH',
          path: here,
          message: "a value may not contain a '__proto__' key",
        });
      }
      walk((v as Record<string, unknown>)[key], here);
    }
  };
  walk(value, base);
  return out;
}
