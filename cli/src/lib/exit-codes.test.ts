import { describe, expect, it } from 'vitest';
import { AobError, ERROR_CODES, ValidationError } from '@aob/core';
import { badInput, CliError, unreachable } from './errors.js';
import { ExitCode, exitCodeForCode, exitCodeForError, exitCodeForStatus } from './exit-codes.js';

describe('exitCodeForStatus', () => {
  it('maps run statuses to the documented codes', () => {
    expect(exitCodeForStatus('completed')).toBe(0);
    expect(exitCodeForStatus('failed')).toBe(1);
    expect(exitCodeForStatus('cancelled')).toBe(1);
    expect(exitCodeForStatus('waiting')).toBe(4);
    expect(exitCodeForStatus('running')).toBe(4);
  });
});

describe('exitCodeForError', () => {
  it('treats invalid definitions and inputs as bad input', () => {
    const err = new ValidationError([{ code: 'SCHEMA', path: '/nodes/0', message: 'bad' }]);
    expect(exitCodeForError(err)).toBe(ExitCode.BadInput);
  });

  it('treats ids that name nothing, and decided tickets, as bad input', () => {
    for (const code of [
      'RUN_NOT_FOUND',
      'TICKET_NOT_FOUND',
      'WORKFLOW_NOT_FOUND',
      'TICKET_DECIDED',
    ] as const) {
      expect(exitCodeForError(new AobError(code, 'x'))).toBe(2);
    }
  });

  it('says a run driven by another process is still waiting', () => {
    expect(exitCodeForError(new AobError('RUN_LEASED', 'driven by pid 42'))).toBe(4);
  });

  it('says an unreachable store is exit 3', () => {
    expect(exitCodeForError(new AobError('STORE_BUSY', 'locked'))).toBe(3);
    expect(exitCodeForError(unreachable('STORE_UNAVAILABLE', 'cannot open'))).toBe(3);
  });

  it('compares by code, so plain error data maps too', () => {
    expect(exitCodeForError({ code: 'RUN_NOT_FOUND', message: 'x' })).toBe(2);
  });

  it('prefers an explicit exit code', () => {
    expect(exitCodeForError(badInput('BAD_FLAG', 'x'))).toBe(2);
    expect(exitCodeForError(new CliError('SOMETHING_NEW', 'x', 3))).toBe(3);
  });

  it('treats oclif parse errors as bad input', () => {
    const parseError = Object.assign(new Error('Nonexistent flag: --nope'), { oclif: { exit: 2 } });
    expect(exitCodeForError(parseError)).toBe(2);
  });

  it('falls back to 1 for anything else', () => {
    expect(exitCodeForError(new Error('boom'))).toBe(1);
    expect(exitCodeForError(new AobError('HANDLER_ERROR', 'x'))).toBe(1);
    expect(exitCodeForError('a string')).toBe(1);
    expect(exitCodeForError(undefined)).toBe(1);
  });
});

describe('exitCodeForCode', () => {
  it('derives every catalogued code from its kind', () => {
    const byKind: Record<string, number> = {
      invalid: 2,
      'not-found': 2,
      state: 2,
      exists: 2,
      'too-large': 2,
      unauthenticated: 2,
      forbidden: 2,
      unavailable: 3,
      pending: 4,
      race: 4,
      timeout: 1,
      cancelled: 1,
      internal: 1,
    };
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      expect([code, exitCodeForCode(code)]).toEqual([code, byKind[entry.kind]]);
    }
    expect(exitCodeForCode('FROM_A_NEWER_SERVER')).toBe(1);
  });
});
