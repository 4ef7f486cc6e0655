// The project's JSON Schemas (schemas/*.schema.json, embedded as values by `npm run gen`),
// and their validators, compiled by ajv in strict mode when `npm run gen` ran (standalone code in
// generated/validators.ts, the options in scripts/gen-types.mjs): nothing is compiled at run time.
import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { Problem } from '../errors.js';
import { eventSchema, patchSchema, workflowSchema } from '../generated/schemas.js';
import * as compiled from '../generated/validators.js';
import { problemsFromAjv } from './problems.js';

export { eventSchema, patchSchema, workflowSchema };

/**
 * The schemas `checkSchema` checks against. Events are checked by `checkEventSchema`
 * (event-schema.ts), which only tests use: its validator is over half of the compiled code, kept
 * out of what every process that imports the core loads.
 */
export const SchemaName = { workflow: 'workflow', patch: 'patch' } as const;
export type SchemaName = (typeof SchemaName)[keyof typeof SchemaName];

const SCHEMAS = { workflow: workflowSchema, event: eventSchema, patch: patchSchema } as const;

const PHRASES: Record<string, string> = {
  expression: 'an expression in {% … %}',
  nodeId: 'an identifier: a letter or _, then up to 63 letters, digits, _ or -',
  workflowName: 'a name: a letter or _, then up to 63 letters, digits, _ or -',
  version: 'a version: a letter or digit, then up to 63 letters, digits, ., _, + or -',
  workflowRef: "a workflow reference: 'name' or 'name@version'",
  httpUrl: 'an http:// or https:// URL, or an expression in {% … %}',
  instantOrExpression: 'an ISO 8601 date-time with a time zone, or an expression in {% … %}',
  jsonPointer: 'a JSON pointer such as /nodes/0',
  irHash: "a content hash: 'sha256:' and 64 lowercase hex digits",
};
/** What each named pattern of the schemas means, keyed by the pattern. */
export const PATTERN_PHRASES: Readonly<Record<string, string>> = (() => {
  const out: Record<string, string> = { '^sha256:[0-9a-f]{64}$': PHRASES['irHash']! };
  for (const schema of Object.values(SCHEMAS)) {
    const defs = (schema as { $defs?: Record<string, { pattern?: string }> }).$defs ?? {};
    for (const [name, def] of Object.entries(defs)) {
      const phrase = PHRASES[name];
      if (phrase && typeof def.pattern === 'string') out[def.pattern] = phrase;
    }
  }
  return out;
})();

const validators = compiled as unknown as Record<SchemaName, ValidateFunction>;

/** Checks a document against one of the project's schemas; every problem has code `SCHEMA`. */
export function checkSchema(name: SchemaName, doc: unknown): Problem[] {
  const v = validators[name];
  return v(doc) ? [] : problemsFromAjv(v.errors, 'SCHEMA', PATTERN_PHRASES);
}
