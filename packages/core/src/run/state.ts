import type { CasRef } from '../content/ref.js';
import type { ErrorData } from '../errors.js';
import type { ReplaySpec, RunStatus, ScheduledBy } from './events.js';
import { isTerminalStatus } from './events.js';
import type { Budget, BudgetBreach, RunUsage } from './budget.js';
import { emptyUsage } from './budget.js';

export type NodeStatus =
  | 'pending' // not yet reached
  | 'scheduled' // a job for the current attempt is out
  | 'running' // a runner reported it started
  | 'retrying' // a retry timer is pending
  | 'waiting' // a timer, an approval or a child run (or map iterations) is pending
  | 'succeeded'
  | 'failed' // final failure (handled or not)
  | 'skipped';

/** One attempt-carrying unit: a graph node, or one iteration of a map. */
export interface AttemptState {
  status: NodeStatus;
  attempt: number;
  inputHash?: string;
  input?: CasRef;
  output?: CasRef;
  error?: ErrorData;
  /** The retry timer pending, when status is 'retrying'. */
  retryTimer?: { timerId: string; dueAt: number };
  /** The latest question the attempt asked (an ask node's, or its agent's), answered or not. */
  question?: QuestionState;
  /**
   * When the current attempt last showed progress (scheduled, started, or sent again): while it
   * is in flight, its deadline runs from here.
   */
  since?: number;
}

export interface TicketState {
  ticketId: string;
  /** Who may decide now: as requested, then as escalated or reassigned (the latest wins). */
  approvers: string[];
  quorum: number;
  /** The node's message to its approvers. */
  message?: string;
  /**
   * The approvals that count toward the quorum, one per identity (decide refuses a second by the
   * same `by`); a reassignment empties it.
   */
  approvals: { by: string; reason?: string }[];
  escalated: boolean;
  timer?: { timerId: string; dueAt: number };
  /** Set once: by the approval that reached the quorum, a rejection, or the timeout. */
  decided?: { decision: 'approved' | 'rejected'; by: string; reason?: string };
}

export interface QuestionState {
  questionId: string;
  question: string;
  choices?: (string | number | boolean)[];
  schema?: Record<string, unknown>;
  askees: string[];
  timer?: { timerId: string; dueAt: number };
  /** An agent's saved state: its attempt goes on from here once answered. */
  resume?: CasRef;
  answered?: { answer: unknown; by: string; timedOut?: true };
}

export interface MapState {
  total: number;
  /** Next item index to schedule. */
  next: number;
  done: number;
  iterations: Record<number, AttemptState>;
}

export interface NodeState extends AttemptState {
  /** Outcome ports that fired when the node finished. */
  ports?: string[];
  /** Targets of the outgoing edges taken when the node finished. */
  route?: string[];
  /** A final failure caught by a `failure` edge. */
  handled?: boolean;
  reused?: 'recorded' | 'frozen';
  timer?: { timerId: string; dueAt: number };
  ticket?: TicketState;
  childRunId?: string;
  map?: MapState;
}

/** A patch proposed to this run, and what became of it. */
export interface PatchState {
  patchId: string;
  author: string;
  status: 'proposed' | 'held' | 'applied' | 'rejected' | 'reverted';
  /** The RFC 6902 operations as proposed, and the IR they were written against. */
  ops: unknown[];
  baseIrHash?: string;
  violations?: { code: string; path: string; message: string }[];
  /** The IR the run moved to when the patch was applied. */
  irHash?: string;
  /** Node ids the patch added. */
  added?: string[];
  /** Why it waits for a reviewer (held), and who may review it. */
  reasons?: { code: string; path: string; message: string }[];
  reviewers?: string[];
  /** The reviewer who approved or rejected it, and why. */
  reviewedBy?: string;
  reason?: string;
}

export interface RunState {
  runId: string;
  /** The IR the run is on now (its base, or the latest patched one). */
  irHash: string;
  /** The IR the run started on. */
  baseIrHash: string;
  /** Patches in the order they were proposed. */
  patches: PatchState[];
  status: RunStatus;
  /** Last applied seq. */
  seq: number;
  workflow: { name: string; version: string };
  /** The tenant the run belongs to (ARCHITECTURE §9). */
  namespace: string;
  inputs?: CasRef;
  parent?: { runId: string; nodeId: string };
  replay?: ReplaySpec;
  /** The schedule tick that started the run. */
  schedule?: ScheduledBy;
  startedAt: number;
  endedAt?: number;
  nodes: Record<string, NodeState>;
  output?: CasRef;
  error?: ErrorData;
  /**
   * Timer id → owner, for every pending timer (node timers, approval timeouts, retries, and the
   * run's wall-time budget: kind `budget`, owned by the run itself, nodeId '').
   */
  timers: Record<
    string,
    {
      nodeId: string;
      iteration?: number;
      dueAt: number;
      kind: 'timer' | 'approval' | 'question' | 'retry' | 'budget';
    }
  >;
  /** The limits the run is held to (from RunStarted); absent: none. */
  budget?: Budget;
  /** What the run has spent, summed from the log. */
  usage: RunUsage;
  /** The limit the run crossed, once it has. */
  budgetExceeded?: BudgetBreach;
}

export const FINISHED: ReadonlySet<NodeStatus> = new Set(['succeeded', 'failed', 'skipped']);
export const IN_FLIGHT: ReadonlySet<NodeStatus> = new Set([
  'scheduled',
  'running',
  'retrying',
  'waiting',
]);

/**
 * A node's status as people see it: a node still under way when its run ended shows as
 * `cancelled` (the run was cancelled) or `abandoned` (the run finished without it), never as
 * `waiting` or `running` in a run that is over.
 */
export function shownNodeStatus(
  status: NodeStatus,
  runStatus: RunStatus,
): NodeStatus | 'cancelled' | 'abandoned' {
  if (!isTerminalStatus(runStatus) || !IN_FLIGHT.has(status)) return status;
  return runStatus === 'cancelled' ? 'cancelled' : 'abandoned';
}

export function isRunOver(state: RunState): boolean {
  return isTerminalStatus(state.status);
}

export function initialState(runId: string): RunState {
  return {
    runId,
    irHash: '',
    baseIrHash: '',
    patches: [],
    status: 'running',
    seq: 0,
    workflow: { name: '', version: '' },
    namespace: 'default',
    startedAt: 0,
    nodes: {},
    timers: {},
    usage: emptyUsage(),
  };
}
