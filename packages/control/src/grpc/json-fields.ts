// The `*_json` fields of aob.v1 (see proto/aob/v1/common.proto for why open JSON travels as text):
// encoding refuses what JSON cannot carry, decoding names the field that is not JSON.
import type { Problem } from '@aob/core';
import { AobError, ValidationError } from '@aob/core';

/** JSON text of `value`; throws (naming `field`) for what JSON cannot represent. */
export function jsonField(field: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new AobError(
      'BAD_JSON',
      `${field}: not representable as JSON: ${(err as Error).message}`,
    );
  }
  if (text === undefined)
    throw new AobError('BAD_JSON', `${field}: no JSON value (${typeof value})`);
  return text;
}

/** The value of a `*_json` field; a ValidationError (code SCHEMA at `/<field>`) when not JSON. */
export function parseJsonField(field: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ValidationError(
      [{ code: 'SCHEMA', path: `/${field}`, message: `is not JSON: ${(err as Error).message}` }],
      'request',
    );
  }
}

/** A problem as plain data (a decoded aob.v1.Problem carries protobuf-es bookkeeping). */
export function problemOf(p: { code: string; path: string; message: string }): Problem {
  return { code: p.code, path: p.path, message: p.message };
}
