// How the server's answers become the CLI's exit codes (ARCHITECTURE §8), the same codes a local run
// of the command would give:
//   - the server's own error code wins when the CLI knows it (RUN_NOT_FOUND → 2, RUN_LEASED → 4,
//     STORE_UNAVAILABLE → 3, …: derived from the code's kind in the core's error catalogue);
//   - otherwise the status: 400, 404, 409, 413, 415, 422 → 2 (bad input; every problem the server
//     named is listed); 401 and 403 → 2 as well: the token is an input, and scripts must not
//     retry with it (UNAUTHENTICATED, FORBIDDEN); 408, 429, 502, 503, 504 → 3 (the server cannot
//     serve now); any other answer → 1;
//   - no answer at all (refused, unknown host, timeout, dropped) → 3 (SERVER_UNREACHABLE).
import { ExitCode, exitCodeForError } from './exit-codes.js';
import { CliError } from './errors.js';

interface ApiErrorLike {
  code: string;
  status: number;
  detail: string;
  errors: { code: string; path: string; message: string }[];
}

function isApiError(e: unknown): e is ApiErrorLike {
  const o = e as Partial<ApiErrorLike> | undefined;
  return (
    !!o && typeof o.status === 'number' && typeof o.code === 'string' && Array.isArray(o.errors)
  );
}

export function exitCodeForHttp(status: number): ExitCode {
  if ([400, 401, 403, 404, 409, 413, 415, 422].includes(status)) return ExitCode.BadInput;
  if ([408, 429, 502, 503, 504].includes(status)) return ExitCode.Unreachable;
  return ExitCode.Failed;
}

/**
 * The CLI error a failed call means. `action` says what was asked ("decide ticket t_1"), so a
 * refusal names it; `server` is AOB_SERVER, named when it cannot be reached.
 */
export function fromServerError(err: unknown, action: string, server: string): unknown {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === 'SERVER_UNREACHABLE') {
    return new CliError(
      'SERVER_UNREACHABLE',
      `cannot ${action}: ${(err as Error).message} (AOB_SERVER=${server})`,
      ExitCode.Unreachable,
    );
  }
  if (!isApiError(err)) return err;
  const byCode = exitCodeForError({ code: err.code });
  const exit = byCode !== ExitCode.Failed ? byCode : exitCodeForHttp(err.status);
  const problems = err.errors.map((p) => ({ code: p.code, path: p.path, message: p.message }));
  return new CliError(err.code, messageFor(err, action), exit, problems);
}

function messageFor(err: ApiErrorLike, action: string): string {
  switch (err.status) {
    case 401:
      return `cannot ${action}: the server does not accept the token in AOB_TOKEN (${err.detail}); ask an admin for one (aob token create)`;
    case 403:
      return `cannot ${action}: not allowed for this token (${err.detail})`;
    case 409:
      return `cannot ${action}: ${err.detail} (it changed meanwhile; look at its state again)`;
    case 413:
      return `cannot ${action}: the request is larger than the server takes (${err.detail})`;
    default:
      return err.status >= 500 && exitCodeForError({ code: err.code }) === ExitCode.Failed
        ? `cannot ${action}: the server failed (HTTP ${err.status}): ${err.detail}`
        : err.detail;
  }
}
