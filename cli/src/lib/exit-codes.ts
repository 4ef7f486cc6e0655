// Exit codes are part of the CLI's contract (ARCHITECTURE §8); scripts branch on them.
import type { RunStatus } from '@aob/core';

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

const BAD_INPUT_CODES: ReadonlySet<string> = new Set([
  'VALIDATION',
  'RUN_NOT_FOUND',
  'TICKET_NOT_FOUND',
  'WORKFLOW_NOT_FOUND',
  'TICKET_DECIDED',
  'UNKNOWN_NODE',
  'HANDLERS_NOT_FOUND',
  'HANDLERS_LOAD_FAILED',
  'RUN_ENDED',
  'RUN_OVER',
  'RUN_SETTINGS_MISMATCH',
  'RUN_TERMINAL',
  'PATCH_NOT_APPLIED',
  'PATCH_NOT_HELD',
  'PATCH_NOT_NEWEST',
  'PATCH_EXISTS',
  'WORKFLOW_EXISTS',
  'PATCH_OTHER_WORKFLOW',
  'PATCH_SET_INVALID',
  'NOT_A_REVIEWER',
]);

const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'STORE_UNAVAILABLE',
  'STORE_BUSY',
  'STORE_CLOSED',
  'STORE_SCHEMA_TOO_NEW',
  'CONTENT_NOT_FOUND',
  'CONTENT_CORRUPT',
  'SERVER_UNAVAILABLE',
  'SERVER_UNREACHABLE',
]);

const STILL_WAITING_CODES: ReadonlySet<string> = new Set([
  'RUN_LEASED',
  'PATCH_PENDING',
  'PATCH_RACE',
]);

/**
 * The exit code for an error thrown by a command. Errors are compared by `code` (a string), never
 * by class: the engine's errors may come from another copy of @aob/core, or across a process
 * boundary as plain data.
 */
export function exitCodeForError(err: unknown): ExitCode {
  if (err && typeof err === 'object') {
    const e = err as { exitCode?: unknown; code?: unknown; oclif?: { exit?: unknown } };
    if (typeof e.exitCode === 'number' && isExitCode(e.exitCode)) return e.exitCode;
    if (typeof e.code === 'string') {
      if (UNREACHABLE_CODES.has(e.code)) return ExitCode.Unreachable;
      if (STILL_WAITING_CODES.has(e.code)) return ExitCode.StillWaiting;
      if (BAD_INPUT_CODES.has(e.code)) return ExitCode.BadInput;
      if (/_NOT_FOUND$/.test(e.code) || /^(BAD|INVALID)_/.test(e.code)) return ExitCode.BadInput;
    }
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
