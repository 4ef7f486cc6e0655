// The store's error codes. Callers compare by `code`; SEQ_CONFLICT is the one they are expected to
// handle (re-read the log, re-decide, append again), so it is retryable.
import { AobError } from '@aob/core';
import type { CasRef } from '@aob/core';

export const StoreErrorCode = {
  SeqConflict: 'SEQ_CONFLICT',
  InvalidAppend: 'INVALID_APPEND',
  ContentMissing: 'CONTENT_MISSING',
  ContentCorrupt: 'CONTENT_CORRUPT',
  InvalidRef: 'INVALID_REF',
  StoreBusy: 'STORE_BUSY',
  StoreClosed: 'STORE_CLOSED',
  SchemaTooNew: 'STORE_SCHEMA_TOO_NEW',
} as const;
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

export function seqConflict(runId: string, expectedSeq: number, lastSeq: number): AobError {
  return new AobError(
    StoreErrorCode.SeqConflict,
    `run ${runId}: expected last seq ${expectedSeq}, found ${lastSeq}`,
    { retryable: true, details: { runId, expectedSeq, lastSeq } },
  );
}

export function invalidAppend(runId: string, message: string): AobError {
  return new AobError(StoreErrorCode.InvalidAppend, `run ${runId}: ${message}`);
}

export function contentMissing(ref: CasRef): AobError {
  return new AobError(
    StoreErrorCode.ContentMissing,
    `content ${ref.$cas} is missing from the store`,
    {
      details: { ref },
    },
  );
}

/** A registered version means one graph: another IR under the same name@version is refused. */
export function workflowExists(name: string, version: string, irHash: string): AobError {
  return new AobError(
    'WORKFLOW_EXISTS',
    `${name}@${version} is registered with another definition; register a new version`,
    { details: { name, version, irHash } },
  );
}

export function storeClosed(): AobError {
  return new AobError(StoreErrorCode.StoreClosed, 'the store is closed');
}
