// RFC 9457 problem details for every error the API returns. The status comes from the error's
// kind (the core's error catalogue, shared with gRPC and the CLI); a ValidationError's problems become `errors`, naming
// every invalid field.
import type { ErrorCode, ErrorKind, Problem } from '@aob/core';
import { AobError, ValidationError, errorKindOf } from '@aob/core';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  errors?: Problem[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

// The catalogue's kinds as HTTP statuses (409 for every kind of conflict).
const BY_KIND: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  state: 409,
  exists: 409,
  race: 409,
  'too-large': 413,
  pending: 503,
  unavailable: 503,
  timeout: 504,
  cancelled: 499,
  internal: 500,
};

export function statusOf(code: string, retryable = false): number {
  return BY_KIND[errorKindOf(code, retryable)];
}

export function problem(
  status: number,
  code: ErrorCode,
  detail: string,
  errors?: Problem[],
): ProblemBody {
  return {
    type: `https://aob.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/** The problem for anything a handler threw. Internal errors say what failed, never a stack. */
export function problemOf(err: unknown): ProblemBody {
  if (err instanceof ValidationError) {
    return problem(400, 'VALIDATION', err.message.split('\n')[0] ?? err.message, err.problems);
  }
  if (err instanceof AobError) {
    const details = Array.isArray(err.details) ? (err.details as Problem[]) : undefined;
    // An AobError's code may be one this server does not catalogue (a handler's, read back from
    // a log): it is sent as it is, with the status of its kind.
    return problem(statusOf(err.code, err.retryable), err.code as ErrorCode, err.message, details);
  }
  return problem(
    500,
    'INTERNAL',
    `the server failed: ${err instanceof Error ? err.message : String(err)}`,
  );
}
