// The patch validator port (ARCHITECTURE §7: "validator — checks patches (library + gRPC), called by
// orchestrator and api"). The orchestrator asks it about every proposal to a run it owns before
// deciding (decide is pure and cannot call a service) and hands the verdict to decide.
import type { PatchVerdict, ValidatePatchInput } from '@aob/core';
import { validatePatch } from '@aob/core';

/**
 * Judges a proposed patch. Every implementation returns the verdict `validatePatch` returns for
 * the same input (a test holds the gRPC service to it). A validator that cannot answer rejects —
 * it never answers "valid" or "invalid" by default — so the decision fails and is retried.
 */
export interface PatchValidator {
  validate(input: ValidatePatchInput): Promise<PatchVerdict>;
}

/** The library, in process: the reference implementation. */
export class LibraryPatchValidator implements PatchValidator {
  validate(input: ValidatePatchInput): Promise<PatchVerdict> {
    return Promise.resolve().then(() => validatePatch(input));
  }
}
