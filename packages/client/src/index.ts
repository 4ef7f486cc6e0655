// @aob/client: the REST API's client for programs, the CLI's server mode, the canvas and MCP.
// It runs wherever `fetch` and web streams do (Node 20, browsers): no Node built-in, no runtime
// dependency. Its surface: the client, its errors, the SSE reader, the API's view types, and a
// run's waterfall computed from its log (the CLI's `aob trace` and the canvas draw it).
export { AobHttpClient } from './http-client.js';
export type {
  AobHttpClientOptions,
  ChangeDraftRequest,
  CreatedToken,
  DraftAuthor,
  PatchCheck,
  Page,
  PageQuery,
  PatchRequest,
  StartRunRequest,
  TimelineMessage,
  TimelineOptions,
  TokenInfo,
  WhoAmI,
} from './http-client.js';
export {
  AobApiError,
  AobUnreachableError,
  apiErrorFrom,
  codeForStatus,
  unreachableFrom,
} from './errors.js';
export type { ApiProblem } from './errors.js';
export { SseParser, followSse } from './sse.js';
export { diffDefinitions, edgeKey } from './graph-diff.js';
export type { DiffableGraph } from './graph-diff.js';
export { WaterfallFolder, parseTraceparent, waterfallOf } from './waterfall.js';
export type {
  TraceContext,
  Waterfall,
  WaterfallChild,
  WaterfallKind,
  WaterfallOptions,
  WaterfallRow,
  WaterfallRunStatus,
  WaterfallStatus,
} from './waterfall.js';
export type { SseEvent, SseFollowOptions } from './sse.js';
export type {
  ApprovalView,
  AttemptView,
  BackfillRequest,
  CreateScheduleRequest,
  DraftChange,
  DraftChangeKind,
  DraftChanges,
  DraftCommit,
  DraftCommitRequest,
  DraftCommitResult,
  DraftFeedEvent,
  DraftView,
  GraphDiff,
  NodeDelta,
  NamespaceBudgetView,
  NodeDetail,
  NodeView,
  OpenDraftRequest,
  PatchView,
  Principal,
  QuestionChoice,
  QuestionView,
  Role,
  RunListItem,
  RunnerClaim,
  RunnerReport,
  RunView,
  ScheduledRunView,
  ScheduleOverlap,
  ScheduleView,
  TokenView,
  WorkflowView,
} from './views.js';
