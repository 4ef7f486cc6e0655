// What kind of failure an aob error code is — the one table both transports read: the REST API
// turns a kind into an HTTP status (http/problem.ts), gRPC into a status code (grpc/errors.ts).
// Codes are compared as codes (STYLE), never by message.

export type ErrorKind =
  | 'invalid' // the request is wrong: fix it (400 / INVALID_ARGUMENT)
  | 'unauthenticated' // no usable token (401 / UNAUTHENTICATED)
  | 'forbidden' // the token may not do this (403 / PERMISSION_DENIED)
  | 'not-found' // no such thing, or not in the caller's namespace (404 / NOT_FOUND)
  | 'state' // the state forbids it now (409 / FAILED_PRECONDITION)
  | 'exists' // it exists already (409 / ALREADY_EXISTS)
  | 'race' // lost a race: send it again (409 / ABORTED)
  | 'too-large' // over a size or speed limit (413 / RESOURCE_EXHAUSTED)
  | 'pending' // handed over, not applied yet: look again shortly (503 / UNAVAILABLE)
  | 'timeout' // (504 / DEADLINE_EXCEEDED)
  | 'cancelled' // (499 / CANCELLED)
  | 'internal'; // the server failed (500 / INTERNAL)

const BY_CODE: Readonly<Record<string, ErrorKind>> = {
  UNAUTHENTICATED: 'unauthenticated',
  FORBIDDEN: 'forbidden',
  NOT_A_REVIEWER: 'forbidden',
  NOT_AN_APPROVER: 'forbidden',
  NOT_FOUND: 'not-found',
  VALIDATION: 'invalid',
  INPUT: 'invalid',
  JSON: 'invalid',
  UNKNOWN_NODE: 'invalid',
  PATCH_SET_INVALID: 'invalid',
  TOO_LARGE: 'too-large',
  // A Follow client that reads too slowly (grpc/timelines.ts).
  TOO_SLOW: 'too-large',
  CONFLICT: 'state',
  RUN_OVER: 'state',
  RUN_SETTINGS_MISMATCH: 'state',
  TICKET_DECIDED: 'state',
  ALREADY_APPROVED: 'state',
  PATCH_NOT_HELD: 'state',
  PATCH_NOT_APPLIED: 'state',
  TOKEN_REVOKED: 'state',
  SEQ_CONFLICT: 'race',
  PATCH_RACE: 'race',
  DECISION_PENDING: 'pending',
  PATCH_PENDING: 'pending',
  RUN_PENDING: 'pending',
  UNAVAILABLE: 'pending',
  TIMEOUT: 'timeout',
  CANCELLED: 'cancelled',
};

/** The kind of an aob error code; an unknown code is internal, or pending if retryable. */
export function errorKindOf(code: string, retryable = false): ErrorKind {
  const known = BY_CODE[code];
  if (known !== undefined) return known;
  if (code.startsWith('BAD_')) return 'invalid';
  if (code.endsWith('_NOT_FOUND')) return 'not-found';
  if (code.endsWith('_EXISTS')) return 'exists';
  return retryable ? 'pending' : 'internal';
}
