export { IrHash, NodeId, PatchId, RunId, TicketId, TimerId } from './ids.js';
export type { Brand } from './ids.js';
export { AobError, toErrorData, ValidationError } from './errors.js';
export type { ErrorData, Problem } from './errors.js';
export {
  ERROR_CODES,
  errorKindOf,
  isErrorCode,
  retryableByDefault,
  type ErrorCode,
  type ErrorCodeEntry,
  type ErrorKind,
} from './error-codes.js';
export { MapBodyType, NodeType, Priority } from './definition/types.js';
export type {
  ApprovalConfig,
  Defaults,
  EdgeDefinition,
  HttpConfig,
  JoinConfig,
  Limits,
  MapBody,
  MapConfig,
  NodeDefinition,
  RetryPolicy,
  SubworkflowConfig,
  TaskConfig,
  TimerConfig,
  TransformConfig,
  WorkflowDefinition,
  WorkflowPatchPolicy,
} from './definition/types.js';
export type {
  ExprContext,
  IR,
  IREdge,
  IRNode,
  IRNodeBody,
  JoinSpec,
  MapSpec,
  Template,
} from './ir/types.js';
export { casKey, contentOf, isCasRef, refOf, sha256Hex } from './content/ref.js';
export type { CasRef, Content, ContentHasher } from './content/ref.js';
export { canonicalJson } from './content/canonical.js';
export { EventType, isTerminalStatus, statusAfter, TERMINAL_EVENTS } from './run/events.js';
export type {
  AnyNewEvent,
  AnyRunEvent,
  EventData,
  NewEvent,
  RecordedResult,
  ReplaySpec,
  ScheduledBy,
  RunEvent,
  RunStatus,
} from './run/events.js';
export { DELTA_RETENTION, jobTopic, Topic } from './run/messages.js';
export type { AgentQuestion, NodeJob, NodeResult } from './run/messages.js';
export { FINISHED, IN_FLIGHT, initialState, isRunOver, shownNodeStatus } from './run/state.js';
export type {
  AttemptState,
  MapState,
  NodeState,
  NodeStatus,
  PatchState,
  QuestionState,
  RunState,
  TicketState,
} from './run/state.js';
export type { Blob, Command, DecideEnv, Decision, Trigger } from './run/commands.js';
export { evolve, fold, questionUnit } from './run/evolve.js';
export { BUDGET_LIMITS, childUsage, emptyUsage, tightest } from './run/budget.js';
export type {
  Budget,
  BudgetBreach,
  BudgetLeft,
  BudgetLimit,
  BudgetPolicy,
  NodeUsage,
  RunUsage,
} from './run/budget.js';
export { checkBudget, parseBudgetSpec } from './run/budget-input.js';
export type { BudgetReading } from './run/budget-input.js';
export { decide } from './run/decide.js';
export type { DeciderEnv } from './run/decider.js';
export { proposalValidationInput, reviewValidationInput } from './run/patches.js';
export { retryDelayMs } from './run/backoff.js';
export { descendantsOf } from './run/graph.js';
export {
  compileExpression,
  compileTemplate,
  escapePointer,
  expressionBody,
  forEachExpression,
  isExpression,
  NONDETERMINISTIC_FUNCTIONS,
  parseExpression,
  toJsonValue,
  truthy,
} from './expr/index.js';
export type {
  CompiledExpression,
  ExpressionSyntaxError,
  ForbiddenUse,
  ParsedExpression,
} from './expr/index.js';
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
