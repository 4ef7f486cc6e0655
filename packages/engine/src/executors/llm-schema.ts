import { createRequire } from 'node:module';
import { AobError } from '@aob/core';

/**
 * JSON Schema validation for structured llm output, with ajv 8 (draft 2020-12).
 *
 * ajv 8 is a dependency of @aob/core, not (yet) of @aob/engine, and the copy hoisted to the root
 * is ajv 6 (eslint's). So it is loaded from @aob/core's own resolution scope. Declaring
 * `"ajv": "^8.17.1"` in this package's manifest would let this become a plain import.
 */
interface AjvError {
  instancePath: string;
  message?: string;
}
type Validate = ((data: unknown) => boolean) & { errors?: AjvError[] | null };
interface Ajv {
  compile(schema: object): Validate;
  removeSchema(schema: object): unknown;
}
type AjvClass = new (opts: Record<string, unknown>) => Ajv;

let ajv: Ajv | undefined;

function loadAjv(): Ajv {
  if (ajv) return ajv;
  const local = createRequire(import.meta.url);
  const fromCore = createRequire(local.resolve('@aob/core'));
  const mod = fromCore('ajv/dist/2020.js') as { Ajv2020?: AjvClass; default?: AjvClass };
  const Ctor = mod.Ajv2020 ?? mod.default;
  if (!Ctor) throw new Error('ajv/dist/2020.js exports no Ajv2020');
  // Not strict: provider schemas carry keywords ajv does not know (descriptions, formats).
  ajv = new Ctor({ allErrors: true, strict: false, validateFormats: false, addUsedSchema: false });
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
