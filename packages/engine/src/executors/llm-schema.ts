import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import { AobError } from '@aob/core';
import { ajv2020 } from '../lazy-libraries.js';

/** JSON Schema validation for structured llm output, with ajv 8 (draft 2020-12). */
type Validate = ValidateFunction;

let ajv: Ajv2020 | undefined;

function loadAjv(): Ajv2020 {
  // Not strict: provider schemas carry keywords ajv does not know (descriptions, formats).
  ajv ??= new (ajv2020().Ajv2020)({
    allErrors: true,
    strict: false,
    validateFormats: false,
    addUsedSchema: false,
  });
  return ajv;
}

export type OutputValidator = (value: unknown) => string[];

/** Compiles `schema`; a schema that does not compile is the definition's fault ('BAD_CONFIG'). */
export function compileOutputSchema(schema: object, nodeId: string): OutputValidator {
  const a = loadAjv();
  let validate: Validate;
  try {
    validate = a.compile(schema);
  } catch (err) {
    throw new AobError(
      'BAD_CONFIG',
      `llm node ${nodeId}: with.schema is not a valid JSON Schema: ${err instanceof Error ? err.message : String(err)}`,
      { retryable: false },
    );
  } finally {
    a.removeSchema(schema);
  }
  return (value) =>
    validate(value)
      ? []
      : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}
