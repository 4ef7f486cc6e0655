// Turns ajv errors into Problems a person can act on: JSON pointers to the offending value, one
// problem per mistake (the if/then and oneOf scaffolding of the schemas is folded away).
import type { ErrorObject } from 'ajv/dist/2020.js';
import type { Problem } from '../errors.js';
import { escapePointer } from '../expr/template.js';

const quote = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));
const article = (t: string): string => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

/**
 * Converts ajv errors (from a validator compiled with `verbose: true`) into problems. `patterns`
 * maps a schema's `pattern` to what it means ("an expression in {% … %}").
 */
export function problemsFromAjv(
  errors: readonly ErrorObject[] | null | undefined,
  code: string,
  patterns: Readonly<Record<string, string>> = {},
): Problem[] {
  if (!errors || errors.length === 0) return [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const push = (path: string, message: string): void => {
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push({ code, path, message });
  };
  const folded = foldedBranches(errors);
  for (const e of errors) {
    if (folded.has(e)) continue;
    const translated = translate(e, errors, patterns);
    if (translated) push(translated.path, translated.message);
  }
  return problems;
}

/**
 * Errors from the branches of a `oneOf`/`anyOf` whose branches only name required properties
 * (like the timer's "durationMs or until"): the combinator's own error says it better.
 */
function foldedBranches(errors: readonly ErrorObject[]): Set<ErrorObject> {
  const folded = new Set<ErrorObject>();
  for (const e of errors) {
    if ((e.keyword !== 'oneOf' && e.keyword !== 'anyOf') || !requiredOnlyBranches(e)) continue;
    for (const sub of errors) {
      if (
        sub !== e &&
        sub.instancePath === e.instancePath &&
        sub.keyword === 'required' &&
        sub.schemaPath.startsWith(`${e.schemaPath}/`)
      ) {
        folded.add(sub);
      }
    }
  }
  return folded;
}

function requiredOnlyBranches(e: ErrorObject): string[] | undefined {
  const branches = e.schema as unknown;
  if (!Array.isArray(branches)) return undefined;
  const names: string[] = [];
  for (const b of branches) {
    const req = (b as { required?: unknown }).required;
    if (!Array.isArray(req) || req.length !== 1 || typeof req[0] !== 'string') return undefined;
    names.push(req[0]);
  }
  return names;
}

function translate(
  e: ErrorObject,
  all: readonly ErrorObject[],
  patterns: Readonly<Record<string, string>>,
): { path: string; message: string } | undefined {
  const path = e.instancePath;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'if':
      // Always accompanied by the errors of its `then`, which say what is wrong.
      return undefined;
    case 'required':
      return {
        path: `${path}/${escapePointer(String(p['missingProperty']))}`,
        message: `missing required property ${quote(p['missingProperty'])}`,
      };
    case 'additionalProperties':
      return {
        path: `${path}/${escapePointer(String(p['additionalProperty']))}`,
        message: `unknown property ${quote(p['additionalProperty'])}${allowed(e, String(p['additionalProperty']))}`,
      };
    case 'unevaluatedProperties':
      return {
        path: `${path}/${escapePointer(String(p['unevaluatedProperty']))}`,
        message: `unknown property ${quote(p['unevaluatedProperty'])}`,
      };
    case 'enum':
      return {
        path,
        message: `must be one of ${(p['allowedValues'] as unknown[]).map(quote).join(', ')} (got ${quote(e.data)})`,
      };
    case 'const':
      return { path, message: `must be ${quote(p['allowedValue'])}` };
    case 'type': {
      const types = String(p['type']).split(',');
      return { path, message: `must be ${types.map(article).join(' or ')}` };
    }
    case 'pattern': {
      const phrase = patterns[String(p['pattern'])];
      return {
        path,
        message: phrase ? `must be ${phrase}` : `must match the pattern ${String(p['pattern'])}`,
      };
    }
    case 'minItems':
      return {
        path,
        message: `must have at least ${String(p['limit'])} item${p['limit'] === 1 ? '' : 's'}`,
      };
    case 'minLength':
      return {
        path,
        message:
          p['limit'] === 1
            ? 'must not be empty'
            : `must be at least ${String(p['limit'])} characters long`,
      };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `must be ${String(p['comparison'])} ${String(p['limit'])}` };
    case 'oneOf':
    case 'anyOf': {
      const names = requiredOnlyBranches(e);
      if (names) {
        const both = Array.isArray(p['passingSchemas']);
        return {
          path,
          message: `must have ${e.keyword === 'oneOf' ? 'exactly one' : 'at least one'} of ${names.map(quote).join(', ')}${both ? ' (not more)' : ''}`,
        };
      }
      // The branches' own errors are more specific; keep this one only when there are none.
      const specific = all.some(
        (o) =>
          o !== e && o.instancePath.startsWith(path) && o.schemaPath.startsWith(`${e.schemaPath}/`),
      );
      return specific ? undefined : { path, message: e.message ?? e.keyword };
    }
    case 'discriminator': {
      const tag = String(p['tag']);
      const tagPath = `${path}/${escapePointer(tag)}`;
      if (p['error'] === 'mapping') {
        const value = (e.data as Record<string, unknown> | null)?.[tag];
        return { path: tagPath, message: `unknown ${quote(tag)} value ${quote(value)}` };
      }
      const present = e.data !== null && typeof e.data === 'object' && tag in e.data;
      return {
        path: tagPath,
        message: present ? 'must be a string' : `missing required property ${quote(tag)}`,
      };
    }
    default:
      return { path, message: e.message ?? e.keyword };
  }
}

function allowed(e: ErrorObject, given: string): string {
  const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)
    ?.properties;
  if (!props) return '';
  const names = Object.keys(props);
  const near = names.find((n) => editDistance(n.toLowerCase(), given.toLowerCase()) <= 2);
  const hint = near === undefined ? '' : `; did you mean ${quote(near)}?`;
  return names.length > 0 && names.length <= 12 ? ` (allowed: ${names.join(', ')}${hint})` : '';
}

/** Levenshtein distance, for naming the setting a misspelt key most likely meant. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next.push(Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + cost));
    }
    row = next;
  }
  return row[b.length]!;
}
