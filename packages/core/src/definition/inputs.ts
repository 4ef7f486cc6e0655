// A workflow's `inputs` is a JSON Schema for its run inputs. It is compiled with ajv in strict
// mode, so a typo'd keyword or an unknown format is reported when the definition is validated
// instead of silently validating nothing.
//
// ajv is required when the first inputs schema is compiled, not when the core is imported: most
// processes (`aob run start` of a workflow without `inputs`) never compile one, and ajv's compiler
// is 80-odd modules of start-up. It is CommonJS, so `require` keeps the callers synchronous.
// (A namespace import: the canvas bundles the core for the browser, where this file is shaken out.)
// eslint-disable-next-line no-restricted-imports -- loading a library later is not I/O (see above)
import * as nodeModule from 'node:module';
import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import { utf8Length } from '../content/utf8.js';
import type { Problem } from '../errors.js';
import { serverLimits } from '../limits.js';
import { jsonShapeProblems } from './json-shape.js';
import { problemsFromAjv } from './problems.js';
import { protoKeyProblems } from './reserved.js';

// ajv-formats is not a dependency of the core; these cover the common formats (RFC 3339 and
// friends), checked syntactically.
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/i;
const FORMATS: Record<string, RegExp | ((s: string) => boolean)> = {
  date: DATE,
  time: TIME,
  'date-time': (s) => {
    const [date, time, ...rest] = s.split(/t/i);
    return (
      rest.length === 0 &&
      date !== undefined &&
      time !== undefined &&
      DATE.test(date) &&
      TIME.test(time)
    );
  },
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  uri: /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/,
  'uri-reference': /^[^\s]*$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  hostname:
    /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
  ipv4: /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/,
};

let ajv: Ajv2020 | undefined;

function inputsAjv(): Ajv2020 {
  if (ajv) return ajv;
  const library = nodeModule.createRequire(import.meta.url)('ajv/dist/2020.js') as {
    Ajv2020: typeof Ajv2020;
  };
  ajv = new library.Ajv2020({
    allErrors: true,
    strict: true,
    // Users write `required` beside `properties` in sub-schemas freely and rely on implicit types.
    strictRequired: false,
    strictTypes: false,
    allowUnionTypes: true,
    verbose: true,
    // Compiled validators are cached by the caller (by IR hash), not inside ajv by schema.
    addUsedSchema: false,
    formats: FORMATS,
  });
  return ajv;
}

/** Compiles an inputs schema, or explains why it cannot be compiled. */
export function compileInputsSchema(
  schema: object,
): { ok: true; validate: ValidateFunction } | { ok: false; message: string } {
  const a = inputsAjv();
  try {
    return { ok: true, validate: a.compile(schema) };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  } finally {
    // The caller keeps the validator; ajv need not keep the schema (it would grow without bound).
    a.removeSchema(schema);
  }
}

/**
 * What any run's inputs must be, whatever its schema: JSON no deeper than the document limit,
 * finite numbers, no `__proto__` key, and no larger than the server's AOB_LIMIT_INPUT_BYTES.
 */
export function inputShapeProblems(inputs: unknown): Problem[] {
  const shape = [...jsonShapeProblems(inputs, ''), ...protoKeyProblems(inputs, '')];
  if (shape.length > 0) return shape;
  const max = serverLimits().maxInputBytes;
  const size = utf8Length(JSON.stringify(inputs) ?? '');
  return size > max
    ? [
        {
          code: 'INPUT_TOO_LARGE',
          path: '',
          message: `the inputs take ${size} bytes as JSON; the limit is ${max} (AOB_LIMIT_INPUT_BYTES)`,
        },
      ]
    : [];
}

/** Checks run inputs with a compiled inputs schema; every problem has code `INPUT`. */
export function inputProblems(validate: ValidateFunction, inputs: unknown): Problem[] {
  return validate(inputs) ? [] : problemsFromAjv(validate.errors, 'INPUT');
}
