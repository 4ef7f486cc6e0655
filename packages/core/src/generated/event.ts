// generated — do not edit; run npm run gen (scripts/gen-types.mjs) after changing schemas/event.schema.json
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "eventType".
 */
export type EventType =
  | 'RunStarted'
  | 'NodeScheduled'
  | 'NodeStarted'
  | 'NodeSucceeded'
  | 'NodeFailed'
  | 'NodeRetryScheduled'
  | 'NodeRedispatched'
  | 'NodeSkipped'
  | 'NodeLog'
  | 'TimerScheduled'
  | 'TimerFired'
  | 'ApprovalRequested'
  | 'ApprovalEscalated'
  | 'ApprovalDecided'
  | 'ApprovalReassigned'
  | 'QuestionAsked'
  | 'QuestionAnswered'
  | 'PatchProposed'
  | 'PatchHeld'
  | 'PatchRejected'
  | 'PatchApplied'
  | 'PatchReverted'
  | 'ChildRunStarted'
  | 'RunWaiting'
  | 'BudgetExceeded'
  | 'BudgetRaised'
  | 'RunCompleted'
  | 'RunFailed'
  | 'RunCancelled';
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "irHash".
 */
export type IrHash = string;
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "nodeId".
 */
export type NodeId = string;
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "priority".
 */
export type Priority = 'high' | 'medium' | 'low';

/**
 * A persisted run event. `seq` is dense per run, from 1; `data` depends on `type`.
 */
export interface RunEventEnvelope {
  runId: string;
  seq: number;
  type: EventType;
  /**
   * Epoch milliseconds, from the injected clock.
   */
  at: number;
  irHash: IrHash;
  data: {
    [k: string]: unknown;
  };
  actor?: string;
  /**
   * W3C trace context.
   */
  traceparent?: string;
}
/**
 * A reference to a value in the content-addressed store: sha256 of its RFC 8785 canonical JSON.
 *
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "casRef".
 */
export interface CasRef {
  $cas: `sha256:${string}`;
  size: number;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "errorData".
 */
export interface ErrorData {
  code: string;
  message: string;
  retryable: boolean;
  details?: unknown;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "problem".
 */
export interface Problem {
  code: string;
  path: string;
  message: string;
}
/**
 * Recorded outcome of a node in an earlier run, reused by a replay.
 *
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "recordedResult".
 */
export interface RecordedResult {
  outcome: 'succeeded' | 'failed';
  output?: CasRef;
  error?: ErrorData;
  route: string[];
  ports?: string[];
  inputHash?: string;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "replaySpec".
 */
export interface ReplaySpec {
  of: string;
  fromNode: NodeId;
  mode: 'freeze' | 'live';
  /**
   * Recorded results of the original run, by node id.
   */
  recorded: {
    [k: string]: RecordedResult;
  };
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "runStartedData".
 */
export interface RunStartedData {
  workflow: {
    name: string;
    version: string;
  };
  inputs: CasRef;
  parent?: {
    runId: string;
    nodeId: NodeId;
  };
  replay?: ReplaySpec;
  /**
   * The schedule tick that started the run (its id is derived from the schedule and the tick).
   */
  schedule?: {
    scheduleId: string;
    tick: number;
    reason: 'tick' | 'trigger' | 'backfill';
  };
  /**
   * The tenant the run belongs to (ARCHITECTURE §9). Absent: `default`.
   */
  namespace?: string;
  budget?: Budget;
  /**
   * The timer that ends the run's wall-time budget.
   */
  budgetTimer?: {
    timerId: string;
    dueAt: number;
  };
}
/**
 * Limits a run is held to. Crossing one appends BudgetExceeded and ends or pauses the run by `onExceeded`. An absent limit does not apply; a run is held to the smallest of each limit in its definition, its `--budget` and its namespace's budget.
 *
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "budget".
 */
export interface Budget {
  /**
   * Prompt plus completion tokens of every llm and agent node. Crossed when more are used.
   */
  tokens?: number;
  /**
   * US dollars, priced by the runners' AOB_LLM_PRICES (per model alias, per million tokens) as tokens are reported. Crossed when more is spent.
   */
  costUsd?: number;
  /**
   * Milliseconds from the run's start.
   */
  wallMs?: number;
  /**
   * Node executions: every attempt of every node and map item. The execution past this many is not scheduled. A child run inherits what its parent has left, which may be 0.
   */
  nodes?: number;
  /**
   * `fail`: the run fails with BUDGET_EXCEEDED. `cancel`: the run is cancelled. Either way work in flight is aborted. `pause`: the run waits (nothing new is scheduled; work in flight finishes) until someone raises the limit (BudgetRaised) or cancels it.
   */
  onExceeded?: 'fail' | 'cancel' | 'pause';
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "nodeScheduledData".
 */
export interface NodeScheduledData {
  nodeId: NodeId;
  attempt: number;
  iteration?: number;
  input: CasRef;
  inputHash: string;
  priority: Priority;
  /**
   * For a map node: how many items it fans out over.
   */
  items?: number;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "nodeStartedData".
 */
export interface NodeStartedData {
  nodeId: NodeId;
  attempt: number;
  iteration?: number;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "nodeSucceededData".
 */
export interface NodeSucceededData {
  nodeId: NodeId;
  attempt: number;
  iteration?: number;
  output: CasRef;
  /**
   * Outcome ports that fired (success; or approved/rejected/timeout). Absent for iterations.
   */
  ports?: string[];
  /**
   * Target node ids of the outgoing edges taken. Absent for iterations.
   */
  route?: string[];
  /**
   * Set when the output was not computed but reused from an earlier run.
   */
  reused?: 'recorded' | 'frozen';
  usage?: NodeUsage;
}
/**
 * Tokens an attempt reported spending, and their price in US dollars when the runner knows the model's; on a subworkflow node, everything its child run spent.
 *
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "nodeUsage".
 */
export interface NodeUsage {
  promptTokens: number;
  completionTokens: number;
  costUsd?: number;
  /**
   * A child run's node executions (a subworkflow node's usage): they count toward its parent's.
   */
  nodes?: number;
  /**
   * A child run's attempts whose tokens had no price (a subworkflow node's usage).
   */
  unpriced?: number;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "nodeFailedData".
 */
export interface NodeFailedData {
  nodeId: NodeId;
  attempt: number;
  iteration?: number;
  error: ErrorData;
  /**
   * No retry follows: the node (or iteration) has failed for good.
   */
  final: boolean;
  /**
   * A final failure caught by a `failure` edge.
   */
  handled?: boolean;
  route?: string[];
  reused?: 'recorded';
  usage?: NodeUsage1;
}
/**
 * Tokens an attempt reported spending, and their price in US dollars when the runner knows the model's; on a subworkflow node, everything its child run spent.
 */
export interface NodeUsage1 {
  promptTokens: number;
  completionTokens: number;
  costUsd?: number;
  /**
   * A child run's node executions (a subworkflow node's usage): they count toward its parent's.
   */
  nodes?: number;
  /**
   * A child run's attempts whose tokens had no price (a subworkflow node's usage).
   */
  unpriced?: number;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "nodeRetryScheduledData".
 */
export interface NodeRetryScheduledData {
  nodeId: NodeId;
  iteration?: number;
  attempt: number;
  delayMs: number;
  dueAt: number;
  timerId: string;
}
/**
 * The attempt in flight made no progress past its deadline (its job or its result was lost, or its runner is gone): its job was sent again. The same attempt: a runner that finished it answers with its result, one that is running it keeps it.
 *
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "nodeRedispatchedData".
 */
export interface NodeRedispatchedData {
  nodeId: NodeId;
  iteration?: number;
  attempt: number;
  /**
   * How long past its deadline (the attempt's timeout and the grace) it was when re-sent.
   */
  overdueMs: number;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "nodeSkippedData".
 */
export interface NodeSkippedData {
  nodeId: NodeId;
  reason: string;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "nodeLogData".
 */
export interface NodeLogData {
  nodeId: NodeId;
  attempt: number;
  /**
   * The map item that logged, for a map node's body.
   */
  iteration?: number;
  level: string;
  message: string;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "timerScheduledData".
 */
export interface TimerScheduledData {
  timerId: string;
  nodeId: NodeId;
  dueAt: number;
  purpose: 'timer' | 'approval';
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "timerFiredData".
 */
export interface TimerFiredData {
  timerId: string;
}
/**
 * A question to people: by an ask node (no `resume`), or by an agent that suspended to ask (`resume`: its saved state, from which its job goes on once answered).
 *
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "questionAskedData".
 */
export interface QuestionAskedData {
  questionId: string;
  nodeId: NodeId;
  attempt: number;
  iteration?: number;
  question: string;
  choices?: (string | number | boolean)[];
  /**
   * A JSON Schema the answer must be valid against.
   */
  schema?: {
    [k: string]: unknown;
  };
  /**
   * Who may answer (the approvers' forms); empty: anyone who may decide approvals in the run's namespace.
   */
  askees: string[];
  dueAt?: number;
  timerId?: string;
  resume?: CasRef1;
  usage?: NodeUsage2;
}
/**
 * A reference to a value in the content-addressed store: sha256 of its RFC 8785 canonical JSON.
 */
export interface CasRef1 {
  $cas: `sha256:${string}`;
  size: number;
}
/**
 * Tokens an attempt reported spending, and their price in US dollars when the runner knows the model's; on a subworkflow node, everything its child run spent.
 */
export interface NodeUsage2 {
  promptTokens: number;
  completionTokens: number;
  costUsd?: number;
  /**
   * A child run's node executions (a subworkflow node's usage): they count toward its parent's.
   */
  nodes?: number;
  /**
   * A child run's attempts whose tokens had no price (a subworkflow node's usage).
   */
  unpriced?: number;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "questionAnsweredData".
 */
export interface QuestionAnsweredData {
  questionId: string;
  nodeId: NodeId;
  iteration?: number;
  /**
   * Any JSON value: one of the choices, or valid against the schema.
   */
  answer: unknown;
  by: string;
  /**
   * No one answered in time: the ask node's `default` was recorded.
   */
  timedOut?: true;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "approvalRequestedData".
 */
export interface ApprovalRequestedData {
  ticketId: string;
  nodeId: NodeId;
  approvers: string[];
  quorum: number;
  dueAt?: number;
  timerId?: string;
  /**
   * The approval node's message to its approvers, evaluated when the ticket opened.
   */
  message?: string;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "approvalEscalatedData".
 */
export interface ApprovalEscalatedData {
  ticketId: string;
  approvers: string[];
  dueAt?: number;
  timerId?: string;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "approvalDecidedData".
 */
export interface ApprovalDecidedData {
  ticketId: string;
  decision: 'approved' | 'rejected';
  by: string;
  reason?: string;
  /**
   * Decided by the ticket's timeout (the default decision): final whatever the quorum.
   */
  timedOut?: true;
}
/**
 * An open ticket's approvers are replaced. Approvals given before stop counting toward the quorum: the new approvers decide afresh.
 *
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "approvalReassignedData".
 */
export interface ApprovalReassignedData {
  ticketId: string;
  /**
   * @minItems 1
   */
  approvers: string[];
  by: string;
  reason?: string;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "patchProposedData".
 */
export interface PatchProposedData {
  patchId: string;
  /**
   * The proposed patch document, as received (it may be invalid).
   */
  patch: unknown;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "patchRejectedData".
 */
export interface PatchRejectedData {
  patchId: string;
  violations: Problem[];
  /**
   * The person who approved or rejected a held patch.
   */
  reviewedBy?: string;
  reason?: string;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "patchHeldData".
 */
export interface PatchHeldData {
  patchId: string;
  /**
   * Why a person must decide: the findings the workflow's patch policy holds for.
   */
  reasons: Problem[];
  reviewers?: string[];
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "patchAppliedData".
 */
export interface PatchAppliedData {
  patchId: string;
  irHash: IrHash;
  author?: string;
  /**
   * The node ids the patch added (they count against the author's spawn limit).
   */
  added?: string[];
  /**
   * Targets of new edges out of already finished nodes that are taken, by source node.
   */
  routes?: {
    [k: string]: string[];
  };
  /**
   * The person who approved or rejected a held patch.
   */
  reviewedBy?: string;
  reason?: string;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "patchRevertedData".
 */
export interface PatchRevertedData {
  patchId: string;
  irHash: IrHash;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "childRunStartedData".
 */
export interface ChildRunStartedData {
  nodeId: NodeId;
  childRunId: string;
  workflow: string;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "runWaitingData".
 */
export interface RunWaitingData {
  tickets: string[];
  /**
   * The open questions the run waits on.
   */
  questions?: string[];
  /**
   * The run crossed its budget and is paused until the limit is raised.
   */
  budget?: true;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "budgetExceededData".
 */
export interface BudgetExceededData {
  limit: 'tokens' | 'costUsd' | 'wallMs' | 'nodes';
  budget: number;
  used: number;
  onExceeded: 'fail' | 'cancel' | 'pause';
}
/**
 * Someone changed the limits of a running run (a paused one goes on when they are no longer crossed).
 *
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "budgetRaisedData".
 */
export interface BudgetRaisedData {
  budget: Budget1;
  by: string;
  reason?: string;
  /**
   * The timer that ends the new wall-time budget.
   */
  budgetTimer?: {
    timerId: string;
    dueAt: number;
  };
}
/**
 * Limits a run is held to. Crossing one appends BudgetExceeded and ends or pauses the run by `onExceeded`. An absent limit does not apply; a run is held to the smallest of each limit in its definition, its `--budget` and its namespace's budget.
 */
export interface Budget1 {
  /**
   * Prompt plus completion tokens of every llm and agent node. Crossed when more are used.
   */
  tokens?: number;
  /**
   * US dollars, priced by the runners' AOB_LLM_PRICES (per model alias, per million tokens) as tokens are reported. Crossed when more is spent.
   */
  costUsd?: number;
  /**
   * Milliseconds from the run's start.
   */
  wallMs?: number;
  /**
   * Node executions: every attempt of every node and map item. The execution past this many is not scheduled. A child run inherits what its parent has left, which may be 0.
   */
  nodes?: number;
  /**
   * `fail`: the run fails with BUDGET_EXCEEDED. `cancel`: the run is cancelled. Either way work in flight is aborted. `pause`: the run waits (nothing new is scheduled; work in flight finishes) until someone raises the limit (BudgetRaised) or cancels it.
   */
  onExceeded?: 'fail' | 'cancel' | 'pause';
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "runCompletedData".
 */
export interface RunCompletedData {
  output: CasRef;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "runFailedData".
 */
export interface RunFailedData {
  error: ErrorData;
  nodeId?: NodeId;
}
/**
 * This interface was referenced by `RunEventEnvelope`'s JSON-Schema
 * via the `definition` "runCancelledData".
 */
export interface RunCancelledData {
  reason?: string;
  by?: string;
}
