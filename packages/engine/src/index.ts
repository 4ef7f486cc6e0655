export * from './executors/index.js';
export * from './local/api.js';
export { LocalEngine } from './local/local-engine.js';
export { Orchestrator } from './orchestrator/orchestrator.js';
export type { OrchestratorDeps, StartRunOptions } from './orchestrator/orchestrator.js';
export { LibraryPatchValidator } from './orchestrator/patch-validator.js';
export type { PatchValidator } from './orchestrator/patch-validator.js';
export { ResultConsumer, triggerOf } from './orchestrator/results.js';
export { Runner, JOB_TOPICS, DEFAULT_HEARTBEAT_MS } from './runner/runner.js';
export type { RunnerDeps, ResultMessage } from './runner/runner.js';
export {
  memoKey,
  MemoryResultMemo,
  RedisResultMemo,
  DEFAULT_MEMO_PREFIX,
  DEFAULT_MEMO_TTL_MS,
} from './runner/memo.js';
export type { ResultMemo, RedisMemoClient, RedisResultMemoOptions } from './runner/memo.js';
export { TimerWheel } from './orchestrator/timers.js';
export { runView, approvalsOf } from './local/views.js';
export type { PatchView, GraphDiff } from './local/patches.js';
export { OrchestratorService } from './cluster/orchestrator-service.js';
export type { OrchestratorServiceDeps } from './cluster/orchestrator-service.js';
export { OutboxRelay } from './cluster/outbox-relay.js';
export { TimerPoller } from './cluster/timer-poller.js';
export { ClusterClient, clusterRunControl } from './cluster/client.js';
export { busDriver } from './cluster/bus-driver.js';
export { RunControl, isOver } from './control/run-control.js';
export type { NodeDetail, AttemptView } from './control/node-detail.js';
export type { RunDriver, RunControlDeps, StartRunRequest } from './control/run-control.js';
export { irLoader } from './workflows.js';
export { newId } from './local/ids.js';
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
export {
  envProblem,
  executorSettingsFromEnv,
  isHttpUrl,
  limitsFromEnv,
  llmFromEnv,
} from './env-settings.js';
export type { ExecutorSettings } from './env-settings.js';
