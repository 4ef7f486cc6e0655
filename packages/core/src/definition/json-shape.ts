// What JSON.parse accepts but nothing downstream should see: nesting so deep that every
// recursive walker (schema checks, canonical hashing, templates) overflows the stack, and
// numbers that are not finite (`1e400` parses as Infinity, which canonical JSON cannot encode).
// Checked iteratively, so the check itself cannot overflow.
import type { Problem } from '../errors.js';
import { escapePointer } from '../expr/template.js';

/** The deepest nesting of arrays and objects a document may have. */
export const MAX_JSON_DEPTH = 64;

/** TOO_DEEP (once, at the first place past the limit) and NOT_FINITE problems of a JSON value. */
export function jsonShapeProblems(
  value: unknown,
  root: string,
  maxDepth: number = MAX_JSON_DEPTH,
): Problem[] {
  const out: Problem[] = [];
  let tooDeep = false;
  const stack: [unknown, string, number][] = [[value, root, 0]];
  while (stack.length > 0) {
    const [v, pointer, depth] = stack.pop()!;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) {
        out.push({
          code: 'NOT_FINITE',
          path: pointer,
          message: 'is not a finite number (JSON numbers beyond ±1.8e308 are not allowed)',
        });
      }
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) {
      if (!tooDeep) {
        out.push({
          code: 'TOO_DEEP',
          path: pointer,
          message: `nests deeper than ${maxDepth} levels of arrays and objects`,
        });
        tooDeep = true;
      }
      continue;
    }
    if (Array.isArray(v)) v.forEach((item, i) => stack.push([item, `${pointer}/${i}`, depth + 1]));
    else {
      for (const [key, item] of Object.entries(v)) {
        stack.push([item, `${pointer}/${escapePointer(key)}`, depth + 1]);
      }
    }
  }
  return out;
}
