// The JSON body parser. A body is refused as bad input, before anything reads it, when it nests
// deeper than MAX_BODY_DEPTH (checked by one scan of the text, without recursion, so no later
// recursive walk — validation, hashing, serialisation — can overflow the stack) or holds a number
// JSON.parse turns into Infinity (1e400): JSON has no such value and the log could not record it.
import type { Problem } from '@aob/core';
import type { ProblemBody } from './problem.js';
import { problem } from './problem.js';

/** Far above any real definition (the core refuses documents past 64 levels, naming the path). */
export const MAX_BODY_DEPTH = 512;

/** The deepest nesting of arrays and objects in JSON `text` (brackets inside strings ignored). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** Parses a request body, or returns the problem that refuses it. */
export function parseJsonBody(text: string): { value: unknown } | { problem: ProblemBody } {
  if (text.trim() === '') {
    return {
      problem: problem(400, 'EMPTY_BODY', 'the request says it is JSON but has no body', [
        { code: 'EMPTY_BODY', path: 'body', message: 'is empty' },
      ]),
    };
  }
  const depth = jsonDepth(text);
  if (depth > MAX_BODY_DEPTH) {
    return {
      problem: problem(400, 'TOO_DEEP', `the request body nests ${depth} levels deep`, [
        { code: 'TOO_DEEP', path: 'body', message: `nests deeper than ${MAX_BODY_DEPTH} levels` },
      ]),
    };
  }
  const infinite: Problem[] = [];
  let value: unknown;
  try {
    value = JSON.parse(text, function (this: unknown, key: string, v: unknown) {
      if (typeof v === 'number' && !Number.isFinite(v) && infinite.length < 20) {
        infinite.push({
          code: 'NOT_FINITE',
          path: `body/${key}`,
          message: 'is a number too large for JSON (it would be Infinity)',
        });
      }
      return v;
    });
  } catch (err) {
    const message = (err as Error).message;
    return {
      problem: problem(400, 'MALFORMED_JSON', `the request body is not valid JSON: ${message}`, [
        { code: 'MALFORMED_JSON', path: 'body', message },
      ]),
    };
  }
  if (infinite.length > 0) {
    return {
      problem: problem(400, 'NOT_FINITE', 'the request body holds a number out of range', infinite),
    };
  }
  return { value };
}
