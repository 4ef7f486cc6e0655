// Where bad input ends and a verdict begins. A document that is not a JSON-Patch overlay at all
// (no operations, an operation without `op` or `path`, an unknown op, `add` without a value, a
// path that is no JSON Pointer) is bad input: refused with every problem named, and nothing is
// recorded. A well-formed patch is judged by validatePatch, and its verdict — accepted, held or
// rejected with every violation — is recorded in the log.
import { checkSchema } from '../definition/schemas.js';
import type { Problem } from '../errors.js';
import { ValidationError } from '../errors.js';

/** The problems that make `doc` no patch document (an empty array when it is one). */
export function patchDocumentProblems(doc: unknown): Problem[] {
  return checkSchema('patch', doc);
}

/** Throws VALIDATION (400, exit 2) naming every problem unless `doc` is a patch document. */
export function assertPatchDocument(doc: unknown): void {
  const problems = patchDocumentProblems(doc);
  if (problems.length > 0) throw new ValidationError(problems, 'patch document');
}
