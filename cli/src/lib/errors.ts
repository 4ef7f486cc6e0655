import type { ErrorCode, Problem } from '@aob/core';
import { ExitCode } from './exit-codes.js';

/**
 * An error the CLI raises (or a server's answer), with the exit code it means and, for bad input,
 * every problem. The code is a string: a server may answer with codes this CLI does not know.
 */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly problems?: Problem[];
  constructor(code: string, message: string, exitCode: ExitCode, problems?: Problem[]) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = exitCode;
    if (problems) this.problems = problems;
  }
}

export function badInput(code: ErrorCode, message: string, problems?: Problem[]): CliError {
  return new CliError(code, message, ExitCode.BadInput, problems);
}

export function unreachable(code: ErrorCode, message: string): CliError {
  return new CliError(code, message, ExitCode.Unreachable);
}

export function problemsOf(err: unknown): Problem[] | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const p = (err as { problems?: unknown }).problems;
  if (!Array.isArray(p)) return undefined;
  return p.filter(isProblem);
}

function isProblem(p: unknown): p is Problem {
  if (!p || typeof p !== 'object') return false;
  const o = p as Record<string, unknown>;
  return typeof o.code === 'string' && typeof o.path === 'string' && typeof o.message === 'string';
}
