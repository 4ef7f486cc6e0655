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
import type { ErrorKind } from '@aob/core';
import { errorKindOf } from '@aob/core';

// The catalogue's kinds in gRPC's terms.
const BY_KIND: Readonly<Record<ErrorKind, status>> = {
  invalid: status.INVALID_ARGUMENT,
  unauthenticated: status.UNAUTHENTICATED,
  forbidden: status.PERMISSION_DENIED,
  'not-found': status.NOT_FOUND,
  state: status.FAILED_PRECONDITION,
  exists: status.ALREADY_EXISTS,
  race: status.ABORTED,
  'too-large': status.RESOURCE_EXHAUSTED,
  pending: status.UNAVAILABLE,
  unavailable: status.UNAVAILABLE,
  timeout: status.DEADLINE_EXCEEDED,
  cancelled: status.CANCELLED,
  internal: status.INTERNAL,
};

/** The gRPC status code of an aob error code. */
export function grpcStatusOf(code: string, retryable = false): status {
  return BY_KIND[errorKindOf(code, retryable)];
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
