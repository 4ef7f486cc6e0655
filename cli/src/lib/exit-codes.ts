// Exit codes are part of the CLI's contract (ARCHITECTURE §8); scripts branch on them.
import type { ErrorKind, RunStatus } from '@aob/core';
import { errorKindOf, isErrorCode } from '@aob/core';

export const ExitCode = {
  /** Done: the run completed, or the command did what it was asked. */
  Ok: 0,
  /** The run failed or was cancelled, or something unexpected went wrong. */
  Failed: 1,
  /** Bad input: flags, definitions, inputs, or ids that name nothing. Every problem is listed. */
  BadInput: 2,
  /** The store cannot be opened, or the server (AOB_SERVER) cannot be reached or cannot serve now. */
  Unreachable: 3,
  /** Still waiting: on an approval, or still running, when --detach or --timeout returned. */
  StillWaiting: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code of a command that drove or waited for a run and returned with it in `status`. */
export function exitCodeForStatus(status: RunStatus): ExitCode {
  switch (status) {
    case 'completed':
      return ExitCode.Ok;
    case 'failed':
    case 'cancelled':
      return ExitCode.Failed;
    case 'waiting':
    case 'running':
      return ExitCode.StillWaiting;
  }
}

/** What each kind of error (the core's catalogue) means to a script. */
const BY_KIND: Readonly<Record<ErrorKind, ExitCode>> = {
  invalid: ExitCode.BadInput,
  'not-found': ExitCode.BadInput,
  state: ExitCode.BadInput,
  exists: ExitCode.BadInput,
  'too-large': ExitCode.BadInput,
  // The token is an input too: a script must not retry with it.
  unauthenticated: ExitCode.BadInput,
  forbidden: ExitCode.BadInput,
  unavailable: ExitCode.Unreachable,
  pending: ExitCode.StillWaiting,
  race: ExitCode.StillWaiting,
  timeout: ExitCode.Failed,
  cancelled: ExitCode.Failed,
  internal: ExitCode.Failed,
};

/** The exit code an aob error code means (a code this CLI does not know: 1). */
export function exitCodeForCode(code: string): ExitCode {
  return isErrorCode(code) ? BY_KIND[errorKindOf(code)] : ExitCode.Failed;
}

/**
 * The exit code for an error thrown by a command. Errors are compared by `code` (a string), never
 * by class: the engine's errors may come from another copy of @aob/core, or across a process
 * boundary as plain data.
 */
export function exitCodeForError(err: unknown): ExitCode {
  if (err && typeof err === 'object') {
    const e = err as { exitCode?: unknown; code?: unknown; oclif?: { exit?: unknown } };
    if (typeof e.exitCode === 'number' && isExitCode(e.exitCode)) return e.exitCode;
    if (typeof e.code === 'string' && isErrorCode(e.code)) return exitCodeForCode(e.code);
    // Any oclif CLIError that reaches us is a flag or argument parse error: bad input.
    if (e.oclif && typeof e.oclif === 'object' && typeof e.oclif.exit === 'number') {
      return ExitCode.BadInput;
    }
  }
  return ExitCode.Failed;
}

function isExitCode(n: number): n is ExitCode {
  return (Object.values(ExitCode) as number[]).includes(n);
}
