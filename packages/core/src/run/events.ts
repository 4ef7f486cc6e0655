import type { CasRef } from '../content/ref.js';
import type { ErrorData } from '../errors.js';
import type { Priority } from '../definition/types.js';
import type { Budget, BudgetLimit, BudgetPolicy, NodeUsage } from './budget.js';

export const EventType = {
  RunStarted: 'RunStarted',
  NodeScheduled: 'NodeScheduled',
  NodeStarted: 'NodeStarted',
  NodeSucceeded: 'NodeSucceeded',
  NodeFailed: 'NodeFailed',
  NodeRetryScheduled: 'NodeRetryScheduled',
  NodeRedispatched: 'NodeRedispatched',
  NodeSkipped: 'NodeSkipped',
  NodeLog: 'NodeLog',
  TimerScheduled: 'TimerScheduled',
  TimerFired: 'TimerFired',
  ApprovalRequested: 'ApprovalRequested',
  ApprovalEscalated: 'ApprovalEscalated',
  ApprovalDecided: 'ApprovalDecided',
  ApprovalReassigned: 'ApprovalReassigned',
  QuestionAsked: 'QuestionAsked',
  QuestionAnswered: 'QuestionAnswered',
  PatchProposed: 'PatchProposed',
  PatchHeld: 'PatchHeld',
  PatchRejected: 'PatchRejected',
  PatchApplied: 'PatchApplied',
  PatchReverted: 'PatchReverted',
  ChildRunStarted: 'ChildRunStarted',
  RunWaiting: 'RunWaiting',
  BudgetExceeded: 'BudgetExceeded',
  BudgetRaised: 'BudgetRaised',
  RunCompleted: 'RunCompleted',
  RunFailed: 'RunFailed',
  RunCancelled: 'RunCancelled',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** Recorded outcome of a node in an earlier run, reused by a replay. */
export interface RecordedResult {
  outcome: 'succeeded' | 'failed';
  output?: CasRef;
  error?: ErrorData;
  route: string[];
  ports?: string[];
  inputHash?: string;
}

export interface ReplaySpec {
  of: string;
  fromNode: string;
  mode: 'freeze' | 'live';
  /** Recorded results of the original run, by node id. */
  recorded: Record<string, RecordedResult>;
}

/**
 * The schedule tick a run was started for (ARCHITECTURE §7, schedules): its run id is derived
 * from the schedule and the tick, so a tick starts at most one run. `reason`: the schedule's own
 * tick (on time or caught up), `trigger` (started by hand, at that moment) or `backfill`.
 */
export interface ScheduledBy {
  scheduleId: string;
  /** The tick's nominal time (epoch ms), before any jitter. */
  tick: number;
  reason: 'tick' | 'trigger' | 'backfill';
}

export interface EventData {
  RunStarted: {
    workflow: { name: string; version: string };
    inputs: CasRef;
    parent?: { runId: string; nodeId: string };
    replay?: ReplaySpec;
    /** The schedule tick that started the run. */
    schedule?: ScheduledBy;
    /** The tenant the run belongs to (ARCHITECTURE §9); absent: `default`. */
    namespace?: string;
    /**
     * The limits the run is held to: the tightest of its definition's, its own and its
     * namespace's, as they were when it started (a later change to any of them does not apply).
     */
    budget?: Budget;
    /** The timer that ends the run's wall-time budget (`budget.wallMs` after the start). */
    budgetTimer?: { timerId: string; dueAt: number };
  };
  NodeScheduled: {
    nodeId: string;
    attempt: number;
    iteration?: number;
    input: CasRef;
    inputHash: string;
    priority: Priority;
    /** For a map node: how many items it fans out over. */
    items?: number;
  };
  NodeStarted: { nodeId: string; attempt: number; iteration?: number };
  NodeSucceeded: {
    nodeId: string;
    attempt: number;
    iteration?: number;
    output: CasRef;
    /** Outcome ports that fired (success; or approved/rejected/timeout). Absent for iterations. */
    ports?: string[];
    /** Target node ids of the outgoing edges taken. Absent for iterations. */
    route?: string[];
    /** Set when the output was not computed but reused from an earlier run. */
    reused?: 'recorded' | 'frozen';
    /**
     * Tokens (and their price) the attempt reported spending: llm and agent nodes; on a
     * subworkflow node, what its child run spent (node executions included).
     */
    usage?: NodeUsage;
  };
  NodeFailed: {
    nodeId: string;
    attempt: number;
    iteration?: number;
    error: ErrorData;
    /** No retry follows: the node (or iteration) has failed for good. */
    final: boolean;
    /** A final failure caught by a `failure` edge. */
    handled?: boolean;
    route?: string[];
    reused?: 'recorded';
    /**
     * Tokens (and their price) the attempt spent before it failed; on a subworkflow node, what
     * its child run spent.
     */
    usage?: NodeUsage;
  };
  NodeRetryScheduled: {
    nodeId: string;
    iteration?: number;
    attempt: number;
    delayMs: number;
    dueAt: number;
    timerId: string;
  };
  /**
   * The attempt in flight made no progress past its deadline (its timeout and a grace): its job
   * was sent again, for the same attempt.
   */
  NodeRedispatched: { nodeId: string; iteration?: number; attempt: number; overdueMs: number };
  NodeSkipped: { nodeId: string; reason: string };
  NodeLog: {
    nodeId: string;
    attempt: number;
    /** The map item that logged. */
    iteration?: number;
    level: string;
    message: string;
  };
  TimerScheduled: { timerId: string; nodeId: string; dueAt: number; purpose: 'timer' | 'approval' };
  TimerFired: { timerId: string };
  ApprovalRequested: {
    ticketId: string;
    nodeId: string;
    approvers: string[];
    quorum: number;
    dueAt?: number;
    timerId?: string;
    /** The node's message to its approvers, evaluated when the ticket opened. */
    message?: string;
  };
  ApprovalEscalated: { ticketId: string; approvers: string[]; dueAt?: number; timerId?: string };
  /**
   * One person's decision (an approval counts toward the quorum; a rejection decides at once), or
   * the ticket's timeout applying the default decision (`timedOut`: final whatever the quorum).
   */
  ApprovalDecided: {
    ticketId: string;
    decision: 'approved' | 'rejected';
    by: string;
    reason?: string;
    timedOut?: true;
  };
  /**
   * An open ticket's approvers are replaced by `by`. Approvals given before stop counting: the
   * new approvers decide afresh (see evolve).
   */
  ApprovalReassigned: { ticketId: string; approvers: string[]; by: string; reason?: string };
  /**
   * A question to people: by an `ask` node, or by an agent that suspended its attempt to ask
   * (`resume`: the agent's saved state, from which the same attempt goes on once answered).
   */
  QuestionAsked: {
    questionId: string;
    nodeId: string;
    attempt: number;
    iteration?: number;
    question: string;
    choices?: (string | number | boolean)[];
    /** A JSON Schema the answer must be valid against (checked by the shell: the core has no validator). */
    schema?: Record<string, unknown>;
    /** Who may answer, in the approvers' forms; empty: whoever may decide approvals in the namespace. */
    askees: string[];
    dueAt?: number;
    timerId?: string;
    resume?: CasRef;
    /** What the agent spent before it asked (the resumed attempt reports only what follows). */
    usage?: NodeUsage;
  };
  /** The answer, by the identity that gave it; or the ask node's `default` when it timed out. */
  QuestionAnswered: {
    questionId: string;
    nodeId: string;
    iteration?: number;
    answer: unknown;
    by: string;
    timedOut?: true;
  };
  PatchProposed: { patchId: string; patch: unknown };
  /** Valid, but the workflow's patch policy wants a person to approve or reject it. */
  PatchHeld: {
    patchId: string;
    reasons: { code: string; path: string; message: string }[];
    reviewers?: string[];
  };
  /** By the validator (`violations`), or by a reviewer of a held patch (`reviewedBy`). */
  PatchRejected: {
    patchId: string;
    violations: { code: string; path: string; message: string }[];
    reviewedBy?: string;
    reason?: string;
  };
  /** `added`: the node ids the patch added (they count against the author's spawn limit). */
  PatchApplied: {
    patchId: string;
    irHash: string;
    author?: string;
    added?: string[];
    /** Targets of new edges out of already finished nodes that are taken, by source node. */
    routes?: Record<string, string[]>;
    /** The reviewer who approved a held patch. */
    reviewedBy?: string;
    reason?: string;
  };
  PatchReverted: { patchId: string; irHash: string };
  ChildRunStarted: { nodeId: string; childRunId: string; workflow: string };
  /** The run waits on people: open approval tickets and questions. */
  RunWaiting: { tickets: string[]; questions?: string[]; budget?: true };
  /**
   * A limit of the run's budget was crossed (`used` against `budget`). Appended before the run
   * ends by its policy — RunFailed (BUDGET_EXCEEDED) or RunCancelled follows in the same append —
   * or, with `pause`, before RunWaiting (budget): nothing is scheduled until BudgetRaised.
   */
  BudgetExceeded: { limit: BudgetLimit; budget: number; used: number; onExceeded: BudgetPolicy };
  /**
   * Someone changed a running run's limits: `budget` holds from now on. A run paused by its
   * budget goes on once no limit is crossed any more (else it is exceeded, and paused, again).
   */
  BudgetRaised: {
    budget: Budget;
    by: string;
    reason?: string;
    /** The timer that ends the new wall-time budget. */
    budgetTimer?: { timerId: string; dueAt: number };
  };
  RunCompleted: { output: CasRef };
  RunFailed: { error: ErrorData; nodeId?: string };
  RunCancelled: { reason?: string; by?: string };
}

/** An event before it is appended: the store assigns `seq`. */
export interface NewEvent<T extends EventType = EventType> {
  type: T;
  at: number;
  data: EventData[T];
  actor?: string;
  traceparent?: string;
  /** The IR the event was decided on, when it differs from the append's (after a patch). */
  irHash?: string;
}

/** The persisted envelope. `seq` is dense per run, from 1. */
export interface RunEvent<T extends EventType = EventType> extends NewEvent<T> {
  runId: string;
  seq: number;
  irHash: string;
}

export type AnyRunEvent = { [K in EventType]: RunEvent<K> }[EventType];
export type AnyNewEvent = { [K in EventType]: NewEvent<K> }[EventType];

export const TERMINAL_EVENTS: ReadonlySet<EventType> = new Set([
  'RunCompleted',
  'RunFailed',
  'RunCancelled',
]);

export type RunStatus = 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';

/** A run in one of these states never changes again (the one check; everything else asks it). */
export function isTerminalStatus(
  status: RunStatus,
): status is 'completed' | 'failed' | 'cancelled' {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

/** The run status an event leaves the run in, when it changes it (for store summaries). */
export function statusAfter(type: EventType): RunStatus | undefined {
  switch (type) {
    case 'RunStarted':
      return 'running';
    case 'RunWaiting':
      return 'waiting';
    case 'RunCompleted':
      return 'completed';
    case 'RunFailed':
      return 'failed';
    case 'RunCancelled':
      return 'cancelled';
    case 'ApprovalDecided':
    case 'QuestionAnswered':
    case 'BudgetRaised':
    case 'NodeScheduled':
    case 'TimerFired':
      return 'running';
    default:
      return undefined;
  }
}
