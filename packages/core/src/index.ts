export * from './ids.js';
export * from './errors.js';
export {
  ERROR_CODES,
  errorKindOf,
  isErrorCode,
  retryableByDefault,
  type ErrorCode,
  type ErrorCodeEntry,
  type ErrorKind,
} from './error-codes.js';
export * from './definition/types.js';
export * from './ir/types.js';
export * from './content/ref.js';
export * from './content/canonical.js';
export * from './run/events.js';
export * from './run/messages.js';
export * from './run/state.js';
export * from './run/commands.js';
export { evolve, fold } from './run/evolve.js';
export { decide } from './run/decide.js';
export type { DeciderEnv } from './run/decider.js';
export { proposalValidationInput, reviewValidationInput } from './run/patches.js';
export { retryDelayMs } from './run/backoff.js';
export { descendantsOf } from './run/graph.js';
export * from './expr/index.js';
export { validateDefinition, portsOf, DEFAULT_MAX_NODES } from './definition/validate.js';
export {
  CREDENTIAL_KEY,
  credentialKeys,
  SETTINGS_CONFIGURED_TYPES,
} from './definition/credentials.js';
export { RESERVED_KEYS, protoKeyProblems } from './definition/reserved.js';
export { jsonShapeProblems, MAX_JSON_DEPTH } from './definition/json-shape.js';
export {
  DEFAULT_SERVER_LIMITS,
  SERVER_LIMIT_VARIABLES,
  serverLimits,
  setServerLimits,
  type ServerLimits,
} from './limits.js';
export {
  checkSchema,
  SchemaName,
  workflowSchema,
  eventSchema,
  patchSchema,
} from './definition/schemas.js';
export type { PatchDocument, PatchOperation } from './generated/patch.js';
export { compile, compileCached, irHashOf, DEFINITION_DEFAULTS } from './ir/compile.js';
export {
  validatePatch,
  type PatchPolicy,
  type PatchVerdict,
  type ValidatePatchInput,
} from './patch/validate.js';
export { DEFAULT_AGENT_TYPES } from './patch/capabilities.js';
export { assertPatchDocument, patchDocumentProblems } from './patch/document.js';
export {
  judgePatch,
  proposalPolicy,
  REVIEWED_POLICY,
  reviewRefusal,
  type PatchJudgement,
} from './patch/review.js';
export { DEFAULT_MAX_OPS_BYTES } from './patch/limits.js';
export {
  checkUrl,
  classifyAddress,
  isForbiddenAddress,
  parseHostLiteral,
  forbiddenHostName,
  ALLOWED_SCHEMES,
  type AddressClass,
  type AddressReason,
  type BaseAddressReason,
  type Embedding,
  type HostLiteral,
  type UrlVerdict,
} from './patch/ssrf.js';
