// Live timelines over SSE (the API's timeline routes and the fanout service).
export {
  BusDeltaSource,
  BusLiveSource,
  encodeCursor,
  Fanout,
  isNodeDelta,
  isRunEvent,
  ListenerDeltaSource,
  ListenerLiveSource,
  listenTimelines,
  parseCursor,
  RunChannel,
  startBusFanout,
  TimelineErrorCode,
  timelineRequestListener,
  TimelineStreams,
  timelineTarget,
} from './fanout/index.js';
export type {
  Authenticate,
  BusLiveSourceOptions,
  DeltaSource,
  FanoutOptions,
  LiveSource,
  NamespaceCursor,
  SseOptions,
  TimelineItem,
  TimelineListener,
  TimelinePrincipal,
  TimelineProblem,
  TimelineRunSummary,
  TimelineStore,
  TimelineTarget,
} from './fanout/index.js';
// Identity and authorisation: roles, hashed bearer tokens, the operation table.
export {
  allowed,
  atLeast,
  authenticate,
  authorize,
  hashToken,
  isRole,
  issueToken,
  NAMESPACE_PATTERN,
  OPERATIONS,
  RANKED,
  ROLES,
  tokenRequestProblems,
  tokenView,
} from './auth/index.js';
export type {
  Operation,
  OperationRule,
  Principal,
  Role,
  TokenRequest,
  TokenView,
} from './auth/index.js';
// The operations behind REST and gRPC, authorised once.
export { ControlPlane, MAX_WAIT_MS } from './control-plane.js';
export type {
  ApprovalsPort,
  ChangeDraftBody,
  CommitDraftBody,
  ControlPlaneDeps,
  DraftAuthorBody,
  FocusDraftBody,
  OpenDraftBody,
  PatchBody,
  ScheduleNoteBody,
  StartRunBody,
  UndoDraftBody,
} from './control-plane.js';
export type { Page, PageRequest } from './paging.js';
// gRPC (proto/aob/v1): the grpc-js bridge, the error mapping, the validator service and client.
export {
  aobErrorMapper,
  apiServices,
  Approvals,
  createClient,
  DEFAULT_MAX_PENDING,
  defaultErrorMapper,
  errorDetailOf,
  errorTrailers,
  follow,
  fromValidatePatchRequest,
  fromValidatePatchResponse,
  GrpcPatchValidator,
  grpcStatusOf,
  Identity,
  methodPath,
  Patches,
  Questions,
  register,
  RpcError,
  Runs,
  serveApiGrpc,
  serveGrpc,
  serviceDefinition,
  serviceImplementation,
  Timelines,
  toValidatePatchRequest,
  toValidatePatchResponse,
  Validator,
  validatorHandlers,
  Workflows,
} from './grpc/index.js';
export type {
  ApiServicesOptions,
  CallContext,
  CallOptions,
  ClientOptions,
  ErrorMapper,
  GrpcServer,
  MethodsOf,
  Registration,
  RequestInit,
  RequestOf,
  ResponseInit,
  ResponseOf,
  RpcStatus,
  ServerStreamCall,
  ServerStreamHandler,
  ServiceClient,
  ServiceHandlers,
  TimelineSubscriber,
  UnaryCall,
  UnaryHandler,
} from './grpc/index.js';
// The REST + SSE API server (fastify) whose routes come from schemas/openapi.json.
export { createApiServer } from './http/server.js';
export type { ApiServerOptions } from './http/server.js';
export type { DraftFeedOptions } from './http/draft-feed.js';
export { openApiDocument, apiRoutes } from './http/openapi.js';
export { problemOf, statusOf } from './http/problem.js';
// Human approvals: tickets, eligibility, quorum, reassignment (services/hitl); questions to people.
export {
  ApprovalDesk,
  approvalsService,
  approverProblems,
  isListed,
  MAX_APPROVERS,
  MAX_REASON_LENGTH,
  parseApprover,
  QuestionDesk,
} from './hitl/index.js';
export type {
  ApprovalDeskOptions,
  ApprovalsServiceOptions,
  ApproverEntry,
  ListOptions,
  QuestionDeskOptions,
  QuestionListOptions,
  TicketView,
} from './hitl/index.js';
// aob's MCP server (tools over the control plane, resources, prompts) for stdio and /mcp.
export { createMcpSession, MCP_PATH, MCP_TOOLS, registerMcpRoutes } from './mcp/index.js';
export type { AobMcpSession, McpHttpOptions, McpSessionOptions, ToolSpec } from './mcp/index.js';
