// The application's operations on workflows, runs, approvals and patches: each written once, here,
// with one signature. `RunControl` implements them over the ports for every topology (the local
// engine drives runs in process, the cluster by run commands); the transports only translate —
// the control plane authorises a principal and calls these, the HTTP and gRPC routes and the
// CLI's backends map requests onto them. Who acts (`actor`, `by`, `author`) is an argument: the
// local CLI passes $USER, the control plane the token's subject, never the request's claim.
import type { AnyRunEvent, Problem, RunStatus, ScheduledBy, WorkflowDefinition } from '@aob/core';
import type {
  ApprovalView,
  NamespaceBudgetView,
  QuestionView,
  RunListItem,
  RunView,
  WorkflowView,
} from '@aob/client';
import type { GraphDiff, PatchView } from './patches.js';
import type { NodeDetail } from './node-detail.js';

// The views a run shows to people and programs are the API's: defined once, in @aob/client.
export type {
  ApprovalView,
  NamespaceBudgetView,
  NodeDelta,
  NodeView,
  QuestionView,
  RunListItem,
  RunView,
  WorkflowView,
} from '@aob/client';

export interface StartRunRequest {
  /** A chosen id (refused with RUN_EXISTS if taken); default a new one. */
  runId?: string;
  actor?: string;
  /** The run's tenant (ARCHITECTURE §9); default `default`. */
  namespace?: string;
  /**
   * Limits for this run (`{tokens, costUsd, wallMs, nodes, onExceeded}`), checked here (every
   * problem named, nothing persisted when one is bad); the run is held to the tightest of these
   * and its definition's `budget`.
   */
  budget?: unknown;
  /** The schedule tick this run is started for (recorded in RunStarted). */
  schedule?: ScheduledBy;
}

export interface WaitRequest {
  /** Default: no limit. The run is returned as it is when the time is up. */
  timeoutMs?: number;
  /** Also return once the run waits on a person with nothing in flight. */
  untilSettled?: boolean;
}

export type Decision = 'approved' | 'rejected';

/** A run patch judged as a proposal would be now, persisting nothing. */
export interface PatchCheckResult {
  status: 'applied' | 'held' | 'rejected';
  violations: Problem[];
  reasons?: Problem[];
}

export interface Operations {
  // workflows
  validate(doc: unknown): { valid: boolean; errors: Problem[] };
  registerWorkflow(def: unknown): Promise<WorkflowView>;
  listWorkflows(): Promise<WorkflowView[]>;
  /** A registered workflow `name[@version]`, or one with workflow patches applied in order. */
  showRegisteredWorkflow(
    ref: string,
    patchIds?: readonly string[],
  ): Promise<{ definition: WorkflowDefinition; irHash: string }>;

  // runs
  /** Validates the definition and inputs (nothing is persisted when either is bad), then starts. */
  start(def: unknown, inputs: unknown, opts?: StartRunRequest): Promise<string>;
  get(runId: string): Promise<RunView>;
  node(runId: string, nodeId: string): Promise<NodeDetail>;
  /** A value the run holds (its inputs or output, or a node's), by content reference. */
  content(runId: string, ref: string): Promise<unknown>;
  list(opts?: {
    status?: RunStatus[];
    limit?: number;
    offset?: number;
    namespace?: string;
  }): Promise<RunListItem[]>;
  wait(runId: string, opts?: WaitRequest): Promise<RunView>;
  events(runId: string, fromSeq?: number): Promise<AnyRunEvent[]>;
  cancel(runId: string, reason?: string, by?: string): Promise<void>;
  /** A new run on the same IR from a node: upstream results reused (freeze: unchanged ones too). */
  replay(runId: string, fromNode: string, mode: 'freeze' | 'live', actor?: string): Promise<string>;

  // approvals
  approvals(opts?: { all?: boolean; namespace?: string }): Promise<ApprovalView[]>;
  ticket(
    ticketId: string,
    namespace?: string,
  ): Promise<ApprovalView & { namespace: string; message?: string }>;
  approve(
    ticketId: string,
    decision: Decision,
    by: string,
    reason?: string,
  ): Promise<{ runId: string; drivenHere: boolean }>;

  // questions to people (ask nodes, agents' ask_user)
  questions(opts?: { all?: boolean; namespace?: string; runId?: string }): Promise<QuestionView[]>;
  question(questionId: string, namespace?: string): Promise<QuestionView & { namespace: string }>;
  /** Checks the question is open and the answer one of its choices, valid against its schema. */
  answer(
    questionId: string,
    answer: unknown,
    by: string,
    namespace?: string,
  ): Promise<{ runId: string; drivenHere: boolean; question: QuestionView }>;

  // patches
  proposePatch(
    target: string,
    patch: unknown,
    opts?: { author?: string; rationale?: string },
  ): Promise<PatchView>;
  checkPatch(runId: string, patch: unknown, author: string): Promise<PatchCheckResult>;
  reviewPatch(patchId: string, decision: Decision, by: string, reason?: string): Promise<PatchView>;
  revertPatch(patchId: string, by?: string): Promise<{ patch: PatchView; revert?: PatchView }>;
  patches(opts?: { runId?: string; workflow?: string; namespace?: string }): Promise<PatchView[]>;
  patch(patchId: string): Promise<{ patch: PatchView; diff?: GraphDiff }>;

  // namespace budgets (admin): runs started in the namespace are held to it too
  setNamespaceBudget(namespace: string, budget: unknown, by: string): Promise<NamespaceBudgetView>;
  namespaceBudget(namespace: string): Promise<NamespaceBudgetView>;
  clearNamespaceBudget(namespace: string): Promise<void>;
}
