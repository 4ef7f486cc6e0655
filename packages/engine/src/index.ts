export {
  AGENT_ADAPTERS,
  AGENT_DEFAULT_MAX_TURNS,
  AGENT_FRAMEWORKS,
  AGENT_MAX_TURNS_LIMIT,
  AGENT_TOOL_GRANTS,
  agentAuthor,
  agentExecutor,
  buildAgentTools,
  classifyAddress,
  CODE_DEFAULT_MEMORY_MB,
  CODE_DEFAULT_TIMEOUT_MS,
  CODE_MAX_TIMEOUT_MS,
  codeExecutor,
  createHttpExecutor,
  createSearchExecutor,
  createSearxngProvider,
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_MAX_RESPONSE_BYTES,
  executorFor,
  FS_MAX_BYTES,
  fsExecutor,
  httpExecutor,
  isForbiddenAddress,
  joinExecutor,
  llmExecutor,
  loadHandlers,
  parseAgentConfig,
  parseHostLiteral,
  runExecutor,
  SEARCH_DEFAULT_LIMIT,
  SEARCH_MAX_LIMIT,
  searchExecutor,
  taskExecutor,
  toJsonOutput,
  transformExecutor,
} from './executors/index.js';
export type {
  AddressClass,
  AddressPolicy,
  AgentAdapter,
  AgentConfig,
  AgentFramework,
  AgentHost,
  AgentOutput,
  AgentRunInput,
  AgentRunResult,
  AgentTool,
  AgentToolGrant,
  AgentToolSet,
  AgentUsage,
  BaseReason,
  CodeOutput,
  DialCandidate,
  Embedding,
  Executor,
  ExecutorContext,
  ExecutorOptions,
  ForbiddenReason,
  GraphView,
  HandlerContext,
  HostLiteral,
  HttpExecutorOptions,
  HttpOutput,
  LlmOptions,
  LlmOutput,
  LlmUsage,
  McpServerSettings,
  NodeLogger,
  PatchOutcome,
  PatchRecord,
  ResolvedAddress,
  Resolver,
  SearchConfig,
  SearchExecutorOptions,
  SearchOptions,
  SearchProvider,
  SearchResult,
  SearxngProviderOptions,
  TaskHandler,
  ToolParameters,
  TranscriptEntry,
} from './executors/index.js';
export type {
  ApprovalView,
  Decision,
  NodeDelta,
  NodeView,
  Operations,
  PatchCheckResult,
  RunListItem,
  RunView,
  NamespaceBudgetView,
  StartRunRequest,
  WaitRequest,
  WorkflowView,
} from './app/operations.js';
export type { EventListener, LocalEngineOptions } from './local/options.js';
export { LocalEngine } from './local/local-engine.js';
export { localAgentHost } from './local/agent-host.js';
export type { LocalAgentHostDeps } from './local/agent-host.js';
export { Orchestrator } from './orchestrator/orchestrator.js';
export type { OrchestratorDeps, StartRunOptions } from './orchestrator/orchestrator.js';
export { LibraryPatchValidator } from './orchestrator/patch-validator.js';
export type { PatchValidator } from './orchestrator/patch-validator.js';
export { ResultConsumer, triggersOf } from './orchestrator/results.js';
export { Runner, JOB_TOPICS, DEFAULT_HEARTBEAT_MS } from './runner/runner.js';
export type { RunnerDeps, ResultMessage } from './runner/runner.js';
export {
  memoKey,
  FileResultMemo,
  MemoryResultMemo,
  RedisResultMemo,
  DEFAULT_MEMO_PREFIX,
  DEFAULT_MEMO_TTL_MS,
} from './runner/memo.js';
export type { ResultMemo, RedisMemoClient, RedisResultMemoOptions } from './runner/memo.js';
export { TimerWheel } from './orchestrator/timers.js';
export { runView, approvalsOf } from './app/views.js';
export { answerProblems, badAnswer, closedBecause, questionsOf } from './app/questions.js';
export type { QuestionChoice, QuestionView } from './app/questions.js';
export type { PatchView, GraphDiff } from './app/patches.js';
export { OrchestratorService } from './cluster/orchestrator-service.js';
export type { OrchestratorServiceDeps } from './cluster/orchestrator-service.js';
export { OutboxRelay } from './cluster/outbox-relay.js';
export { JobHandoff } from './cluster/job-handoff.js';
export { CommittedEvents } from './cluster/committed-events.js';
export type { HandedJobEnd, JobTaker, ResultSink } from './cluster/job-handoff.js';
export { DEFAULT_JOB_TOKEN_GRACE_MS, JobTokenMinter } from './cluster/job-tokens.js';
export {
  DEFAULT_RUNNER_LEASE_MS,
  MAX_CLAIM_WAIT_MS,
  PROGRESS_KINDS,
  RUNNER_LEASE_BOUNDS,
  RunnerDesk,
} from './cluster/runner-desk.js';
export type { RunnerClaim, RunnerDeskOptions, RunnerIdentity } from './cluster/runner-desk.js';
export { RUNNER_JOB_OUTBOX_TOPIC, jobOutboxTopic, runsOnOf } from './orchestrator/job-route.js';
export type { JobTokenMinterOptions } from './cluster/job-tokens.js';
export { apiAgentHost } from './runner/api-agent-host.js';
export { OutsideRunner } from './runner/outside-runner.js';
export type { JobRef, OutsideRunnerEvent, OutsideRunnerOptions } from './runner/outside-runner.js';
export { DeltaPublisher } from './runner/delta-publisher.js';
export type { DeltaPublisherOptions } from './runner/delta-publisher.js';
export type { ApiAgentHostOptions } from './runner/api-agent-host.js';
export { TimerPoller } from './cluster/timer-poller.js';
export { ClusterClient, clusterRunControl } from './cluster/client.js';
export { busDriver } from './cluster/bus-driver.js';
export {
  BLANK_DRAFT,
  DRAFT_POLL_MS,
  DraftControl,
  MAX_DRAFT_BYTES,
  MAX_DRAFT_CHANGES_PAGE,
  checkDraftDefinition,
  draftView,
  patchOperationProblems,
} from './app/drafts.js';
export type {
  DraftChange,
  DraftChanges,
  DraftCommitRequest,
  DraftCommitResult,
  DraftControlDeps,
  DraftFeedEvent,
  DraftListener,
  DraftRunOperations,
  DraftView,
  OpenDraftRequest,
} from './app/drafts.js';
export {
  MAX_BACKFILL_TICKS,
  ScheduleControl,
  viewOfSchedule,
} from './schedules/schedule-control.js';
export type {
  CreateScheduleRequest,
  ScheduleControlDeps,
  ScheduledRunView,
  ScheduleRunOperations,
  ScheduleView,
  TickStart,
} from './schedules/schedule-control.js';
export { MAX_TICKS_PER_PASS, Scheduler } from './schedules/scheduler.js';
export type { SchedulerOptions } from './schedules/scheduler.js';
export { jitterOf, nextTick, scheduledRunId, ticksBetween } from './schedules/ticks.js';
export { formatDuration, parseDuration } from './schedules/durations.js';
export { RunControl, isOver } from './app/run-control.js';
export type { NodeDetail, AttemptView } from './app/node-detail.js';
export type { RunDriver, RunControlDeps } from './app/run-control.js';
export type { AutoOptimizer, OptimizerProposal } from './app/auto-optimize.js';
export { pollUntil } from './app/poll.js';
export type { PollOptions } from './app/poll.js';
export { irLoader } from './workflows.js';
export { newId } from './app/ids.js';
export type { RunCommand } from './cluster/commands.js';
export { kafkaPartitionsOf, serviceConfig, SERVICE_NAMES } from './cluster/config.js';
export type { ServiceConfig, ServiceName } from './cluster/config.js';
export {
  runServer,
  runServiceMain,
  stopOnSignals,
  openAdapters,
  jsonLog,
} from './cluster/server.js';
export type { Adapters, Component, Log, RunningServer, Starter } from './cluster/server.js';
export { durabilityFromEnv } from './local/durability.js';
export {
  envProblem,
  executorSettingsFromEnv,
  isHttpUrl,
  limitsFromEnv,
  llmFromEnv,
  mcpFromEnv,
  mcpHostRulesFromEnv,
} from './env-settings.js';
export type { ExecutorSettings, McpHostRules } from './env-settings.js';
export {
  OTLP_PROTOCOLS,
  TRACE_EXPORTERS,
  TRACE_SAMPLERS,
  startTracing,
  telemetryConfig,
  telemetryConfigOrThrow,
} from './telemetry/setup.js';
export type {
  OtlpProtocol,
  StartTracingOptions,
  TelemetryConfig,
  TraceExporterName,
  TraceSamplerName,
  Tracing,
} from './telemetry/setup.js';
export { currentRunContext, enableRunContext, withRunContext } from './telemetry/run-context.js';
export type { RunContext } from './telemetry/run-context.js';
export {
  TRACEPARENT,
  TRACER_NAME,
  formatTraceparent,
  parseTraceparent,
} from './telemetry/trace.js';
export { METER_NAME, PUBLISHED_AT, aobMetrics, recordSseClients } from './telemetry/metrics.js';
export type { AobInstruments } from './telemetry/metrics.js';
export { startMetrics } from './telemetry/metrics-setup.js';
export type { Metrics, StartMetricsOptions } from './telemetry/metrics-setup.js';
export { LOG_LEVELS, createLogger, runLogFields, serviceLogger } from './telemetry/log.js';
export type { LogLevel, Logger, LoggerOptions } from './telemetry/log.js';
