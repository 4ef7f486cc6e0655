// Reports of runners outside the cluster, checked against schemas/agent-result.schema.json (the
// schema is the contract: a result kind added there is accepted here with no code change). Every
// problem is named, with the path of the field it is about.
import { createRequire } from 'node:module';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Problem } from '@aob/core';
import { ValidationError } from '@aob/core';

const require = createRequire(import.meta.url);

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    // The result schema refers to the event schema's CasRef, ErrorData and NodeUsage.
    ajv.addSchema(require('@aob/schemas/event.schema.json') as object);
    validator = ajv.compile(require('@aob/schemas/agent-result.schema.json') as object);
  }
  return validator;
}

/** A report as the runner queue forwards it; VALIDATION naming every problem otherwise. */
export function checkRunnerReport(body: unknown): { kind: string } & Record<string, unknown> {
  const validate = compiled();
  if (validate(body)) return body as { kind: string } & Record<string, unknown>;
  const problems = (validate.errors ?? []).filter((e) => e.keyword !== 'if').map(problemOf);
  throw new ValidationError(problems, 'result');
}

function problemOf(e: ErrorObject): Problem {
  const field =
    typeof e.params.missingProperty === 'string'
      ? `/${e.params.missingProperty}`
      : typeof e.params.additionalProperty === 'string'
        ? `/${e.params.additionalProperty}`
        : '';
  const allowed = e.params.allowedValues;
  const message =
    e.keyword === 'enum' && Array.isArray(allowed)
      ? `must be one of ${allowed.map((a) => `'${String(a)}'`).join(', ')}`
      : e.keyword === 'additionalProperties'
        ? 'is not a field of this kind of result'
        : (e.message ?? 'is invalid');
  return { code: e.keyword.toUpperCase(), path: `${e.instancePath}${field}`, message };
}
