// AobErrors (compared by code, STYLE) as gRPC statuses. The status code says what kind of failure
// it is; the `aob-error` trailer (JSON) and `aob-error-bin` (aob.v1.ErrorDetail) carry the stable
// aob code, the message and, for INVALID_ARGUMENT, every problem of the request.
import type { Problem } from '@aob/core';
import type { DescMethod } from '@bufbuild/protobuf';
import { create, toBinary } from '@bufbuild/protobuf';
import { Metadata, status } from '@grpc/grpc-js';
import { ErrorDetailSchema } from '../generated/aob/v1/common_pb.js';
import type { ErrorMapper, RpcStatus } from './server.js';
import { defaultErrorMapper, RpcError } from './server.js';

// The same categories as the REST API's problem statuses (http/problem.ts statusOf), in gRPC's
// terms: 400 → INVALID_ARGUMENT, 401 → UNAUTHENTICATED, 403 → PERMISSION_DENIED,
// 404 → NOT_FOUND, 409 → FAILED_PRECONDITION (the state forbids it now) or ALREADY_EXISTS,
// 503 → UNAVAILABLE; and what HTTP has no status for: lost races (ABORTED: send it again).
const BY_CODE: Readonly<Record<string, status>> = {
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  FORBIDDEN: status.PERMISSION_DENIED,
  NOT_A_REVIEWER: status.PERMISSION_DENIED,
  NOT_AN_APPROVER: status.PERMISSION_DENIED,
  NOT_FOUND: status.NOT_FOUND,
  VALIDATION: status.INVALID_ARGUMENT,
  INPUT: status.INVALID_ARGUMENT,
  JSON: status.INVALID_ARGUMENT,
  UNKNOWN_NODE: status.INVALID_ARGUMENT,
  PATCH_SET_INVALID: status.INVALID_ARGUMENT,
  TOO_LARGE: status.RESOURCE_EXHAUSTED,
  // A Follow client that reads too slowly (timelines.ts).
  TOO_SLOW: status.RESOURCE_EXHAUSTED,
  CONFLICT: status.FAILED_PRECONDITION,
  RUN_OVER: status.FAILED_PRECONDITION,
  TICKET_DECIDED: status.FAILED_PRECONDITION,
  ALREADY_APPROVED: status.FAILED_PRECONDITION,
  PATCH_NOT_HELD: status.FAILED_PRECONDITION,
  PATCH_NOT_APPLIED: status.FAILED_PRECONDITION,
  TOKEN_REVOKED: status.FAILED_PRECONDITION,
  SEQ_CONFLICT: status.ABORTED,
  PATCH_RACE: status.ABORTED,
  // Sent, but the run's owner has not applied it yet: look before sending it again.
  DECISION_PENDING: status.UNAVAILABLE,
  PATCH_PENDING: status.UNAVAILABLE,
  UNAVAILABLE: status.UNAVAILABLE,
  TIMEOUT: status.DEADLINE_EXCEEDED,
  CANCELLED: status.CANCELLED,
};

/** The gRPC status code of an aob error code. */
export function grpcStatusOf(code: string, retryable = false): status {
  const known = BY_CODE[code];
  if (known !== undefined) return known;
  if (code.startsWith('BAD_')) return status.INVALID_ARGUMENT;
  if (code.endsWith('_NOT_FOUND')) return status.NOT_FOUND;
  if (code.endsWith('_EXISTS')) return status.ALREADY_EXISTS;
  return retryable ? status.UNAVAILABLE : status.INTERNAL;
}

interface AobErrorLike {
  code: string;
  message: string;
  retryable?: boolean;
  problems?: Problem[];
  details?: unknown;
}

function isAobError(err: unknown): err is AobErrorLike {
  return (
    err instanceof Error &&
    typeof (err as { code?: unknown }).code === 'string' &&
    !(err instanceof RpcError)
  );
}

/** The problems an error carries: a ValidationError's, or details that are a list of problems. */
function problemsOf(err: AobErrorLike): Problem[] {
  const list = Array.isArray(err.problems) ? err.problems : err.details;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (p): p is Problem =>
      p !== null &&
      typeof p === 'object' &&
      typeof (p as Problem).code === 'string' &&
      typeof (p as Problem).path === 'string' &&
      typeof (p as Problem).message === 'string',
  );
}

/** The trailers of a failed call: `aob-error` (JSON) and `aob-error-bin` (ErrorDetail). */
export function errorTrailers(
  code: string,
  message: string,
  problems: readonly Problem[],
): Metadata {
  const md = new Metadata();
  const detail = { code, message, problems: problems.map((p) => ({ ...p })) };
  // Non-binary metadata must be printable ASCII: JSON with every other character escaped.
  md.set('aob-error', asciiJson(detail));
  md.set(
    'aob-error-bin',
    Buffer.from(toBinary(ErrorDetailSchema, create(ErrorDetailSchema, detail))),
  );
  return md;
}

function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * AobErrors by code (their message as the details, every problem in the trailers); RpcErrors as
 * they are; anything else INTERNAL naming the method.
 */
export const aobErrorMapper: ErrorMapper = (err: unknown, method: DescMethod): RpcStatus => {
  if (!isAobError(err)) return defaultErrorMapper(err, method);
  const problems = problemsOf(err);
  return {
    code: grpcStatusOf(err.code, err.retryable === true),
    details: err.message,
    metadata: errorTrailers(err.code, err.message, problems),
  };
};

/** The aob error a failed call's trailers carry (undefined when the server sent none). */
export function errorDetailOf(
  err: unknown,
): { code: string; message: string; problems: Problem[] } | undefined {
  const md = (err as { metadata?: unknown }).metadata;
  if (!(md instanceof Metadata)) return undefined;
  const raw = md.get('aob-error')[0];
  if (typeof raw !== 'string') return undefined;
  try {
    const d = JSON.parse(raw) as { code: string; message: string; problems?: Problem[] };
    return { code: d.code, message: d.message, problems: d.problems ?? [] };
  } catch {
    return undefined;
  }
}
