// ajv's errors as this API's problems: the keyword as the code, a JSON Pointer to the field (for
// `required` and `additionalProperties` ajv names the field in params, not in the path), and a
// message that, for an enum, names the values allowed. REST requests and MCP tool arguments are
// reported alike.
import type { Problem } from '@aob/core';

export interface SchemaError {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** The problem of one ajv error, its path under `where` (a prefix such as `body`, or ''). */
export function schemaProblem(v: SchemaError, where = ''): Problem {
  return {
    code: v.keyword.toUpperCase(),
    path: `${where}${v.instancePath}${fieldOf(v.params)}`,
    message: messageOf(v),
  };
}

function messageOf(v: SchemaError): string {
  const allowed = v.params.allowedValues;
  if (v.keyword === 'enum' && Array.isArray(allowed)) {
    return `must be one of ${allowed.map((a) => `'${String(a)}'`).join(', ')}`;
  }
  return v.message ?? 'is invalid';
}

function fieldOf(params: Record<string, unknown>): string {
  const name = params.missingProperty ?? params.additionalProperty;
  return typeof name === 'string' ? `/${name}` : '';
}
