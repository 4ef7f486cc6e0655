// generated — do not edit; run npm run gen (scripts/gen-types.mjs) after changing schemas/patch.schema.json
/**
 * This interface was referenced by `PatchDocument`'s JSON-Schema
 * via the `definition` "operation".
 */
export type PatchOperation =
  AddOperation | RemoveOperation | ReplaceOperation | MoveOperation | CopyOperation | TestOperation;
/**
 * An RFC 6901 JSON Pointer.
 *
 * This interface was referenced by `PatchDocument`'s JSON-Schema
 * via the `definition` "jsonPointer".
 */
export type JsonPointer = string;

/**
 * A JSON-Patch overlay proposed against a workflow (scope `workflow`) or one run (scope `run`). The validator applies further rules (paths, limits, immutable nodes) and reports every violation.
 */
export interface PatchDocument {
  patchId: string;
  scope: 'run' | 'workflow';
  /**
   * The run id (scope `run`) or the workflow `name@version` (scope `workflow`).
   */
  target: string;
  /**
   * The IR the patch was written against; a different current IR makes it stale.
   */
  baseIrHash: string;
  /**
   * RFC 6902 operations, applied in order.
   *
   * @minItems 1
   */
  ops: PatchOperation[];
  author: string;
  /**
   * Why the change is proposed.
   */
  rationale?: string;
}
/**
 * This interface was referenced by `PatchDocument`'s JSON-Schema
 * via the `definition` "addOperation".
 */
export interface AddOperation {
  op: 'add';
  path: JsonPointer;
  value: unknown;
}
/**
 * This interface was referenced by `PatchDocument`'s JSON-Schema
 * via the `definition` "removeOperation".
 */
export interface RemoveOperation {
  op: 'remove';
  path: JsonPointer;
}
/**
 * This interface was referenced by `PatchDocument`'s JSON-Schema
 * via the `definition` "replaceOperation".
 */
export interface ReplaceOperation {
  op: 'replace';
  path: JsonPointer;
  value: unknown;
}
/**
 * This interface was referenced by `PatchDocument`'s JSON-Schema
 * via the `definition` "moveOperation".
 */
export interface MoveOperation {
  op: 'move';
  from: JsonPointer;
  path: JsonPointer;
}
/**
 * This interface was referenced by `PatchDocument`'s JSON-Schema
 * via the `definition` "copyOperation".
 */
export interface CopyOperation {
  op: 'copy';
  from: JsonPointer;
  path: JsonPointer;
}
/**
 * This interface was referenced by `PatchDocument`'s JSON-Schema
 * via the `definition` "testOperation".
 */
export interface TestOperation {
  op: 'test';
  path: JsonPointer;
  value: unknown;
}
