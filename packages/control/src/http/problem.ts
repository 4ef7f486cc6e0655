// RFC 9457 problem details for every error the API returns. One table maps error codes to HTTP
// statuses; a ValidationError's problems become `errors`, naming every invalid field.
import type { Problem } from '@aob/core';
import { AobError, ValidationError } from '@aob/core';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  errors?: Problem[];
}

const CONFLICTS = new Set([
  'CONFLICT',
  'TICKET_DECIDED',
  'ALREADY_APPROVED',
  'RUN_OVER',
  'RUN_EXISTS',
  'PATCH_NOT_HELD',
  'PATCH_NOT_APPLIED',
  'PATCH_EXISTS',
  'WORKFLOW_EXISTS',
  'TOKEN_REVOKED',
]);
const FORBIDDEN = new Set(['FORBIDDEN', 'NOT_A_REVIEWER', 'NOT_AN_APPROVER']);
const PENDING = new Set(['PATCH_PENDING', 'DECISION_PENDING', 'RUN_PENDING']);
const BAD_INPUT = new Set(['UNKNOWN_NODE', 'INPUT', 'BAD_REQUEST', 'JSON']);

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function statusOf(code: string): number {
  if (code === 'VALIDATION' || BAD_INPUT.has(code) || code.startsWith('BAD_')) return 400;
  if (code === 'UNAUTHENTICATED') return 401;
  if (FORBIDDEN.has(code)) return 403;
  if (code === 'NOT_FOUND' || code.endsWith('_NOT_FOUND')) return 404;
  if (CONFLICTS.has(code)) return 409;
  if (PENDING.has(code)) return 503;
  return 500;
}

export function problem(
  status: number,
  code: string,
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
    return problem(statusOf(err.code), err.code, err.message, details);
  }
  return problem(
    500,
    'INTERNAL',
    `the server failed: ${err instanceof Error ? err.message : String(err)}`,
  );
}
