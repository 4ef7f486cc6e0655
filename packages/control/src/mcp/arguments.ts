// Tool arguments are checked against the tool's input schema before any work, every problem
// named with its JSON Pointer (as REST names a body's). Nothing runs and nothing is persisted
// from arguments that fail.
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import { ValidationError } from '@aob/core';
import { schemaProblem } from '../http/schema-problems.js';
import type { JsonSchema } from './tool-spec.js';

const ajv = new Ajv({
  allErrors: true,
  coerceTypes: false,
  removeAdditional: false,
  strict: false,
});
const compiled = new WeakMap<JsonSchema, ValidateFunction>();

/** The arguments as an object, or a ValidationError naming every problem. */
export function checkArguments(
  tool: string,
  schema: JsonSchema,
  args: unknown,
): Record<string, unknown> {
  let validate = compiled.get(schema);
  if (!validate) compiled.set(schema, (validate = ajv.compile(schema)));
  const value = args ?? {};
  if (validate(value)) return value as Record<string, unknown>;
  const problems = (validate.errors ?? []).map((e) => schemaProblem(e));
  throw new ValidationError(problems, `${tool}'s arguments`);
}
