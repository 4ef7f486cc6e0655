// Who may do what (ARCHITECTURE §9). Every operation of the control plane is in this table, and every
// REST route and gRPC method names one: an operation without an entry cannot be served. The
// authorisation-matrix tests walk this table for every role and for own and other namespaces.
import { AobError } from '@aob/core';
import type { Principal, Role } from './roles.js';
import { RANKED, atLeast } from './roles.js';

export interface OperationRule {
  /** The lowest ranked role allowed. */
  min: Role;
  /** Whether an `agent` token may call it (agents are not ranked). */
  agent: boolean;
  /**
   * Whether a job token (scoped to one run: an agent's on a cluster runner) may call it. Only
   * what an agent does to its own run — read it, propose and check patches to it — is open to
   * one; the control plane then refuses every other run as unknown.
   */
  job: boolean;
  /**
   * Whether a `runner` token (a runner outside the cluster) may call it. Only the runner queue's
   * operations are open to one, and those to it alone (their `min` is `runner`, which no ranked
   * role reaches).
   */
  runner?: true;
}

export const OPERATIONS = {
  whoami: { min: 'viewer', agent: true, job: true, runner: true },
  validateWorkflow: { min: 'viewer', agent: true, job: false },
  registerWorkflow: { min: 'operator', agent: false, job: false },
  listWorkflows: { min: 'viewer', agent: true, job: false },
  showWorkflow: { min: 'viewer', agent: true, job: false },
  startRun: { min: 'operator', agent: false, job: false },
  listRuns: { min: 'viewer', agent: true, job: false },
  getRun: { min: 'viewer', agent: true, job: true },
  getRunNode: { min: 'viewer', agent: true, job: true },
  getRunContent: { min: 'viewer', agent: true, job: true },
  runEvents: { min: 'viewer', agent: true, job: true },
  waitRun: { min: 'viewer', agent: true, job: true },
  followTimeline: { min: 'viewer', agent: true, job: false },
  followNamespace: { min: 'viewer', agent: true, job: false },
  cancelRun: { min: 'operator', agent: false, job: false },
  replayRun: { min: 'operator', agent: false, job: false },
  listApprovals: { min: 'viewer', agent: true, job: false },
  decideApproval: { min: 'approver', agent: false, job: false },
  reassignApproval: { min: 'admin', agent: false, job: false },
  listQuestions: { min: 'viewer', agent: true, job: false },
  getQuestion: { min: 'viewer', agent: true, job: false },
  answerQuestion: { min: 'approver', agent: false, job: false },
  proposePatch: { min: 'operator', agent: true, job: true },
  checkPatch: { min: 'viewer', agent: true, job: true },
  listPatches: { min: 'viewer', agent: true, job: true },
  getPatch: { min: 'viewer', agent: true, job: true },
  reviewPatch: { min: 'approver', agent: false, job: false },
  revertPatch: { min: 'operator', agent: false, job: false },
  createToken: { min: 'admin', agent: false, job: false },
  listTokens: { min: 'admin', agent: false, job: false },
  revokeToken: { min: 'admin', agent: false, job: false },
  getNamespaceBudget: { min: 'viewer', agent: false, job: false },
  setNamespaceBudget: { min: 'admin', agent: false, job: false },
  clearNamespaceBudget: { min: 'admin', agent: false, job: false },
  raiseRunBudget: { min: 'approver', agent: false, job: false },
  // Drafts: an agent reads and draws (and proposes a draft to a run as a patch: commitDraft
  // checks proposePatch, or registerWorkflow for a version, which agents may not).
  listDrafts: { min: 'viewer', agent: true, job: false },
  getDraft: { min: 'viewer', agent: true, job: false },
  draftChanges: { min: 'viewer', agent: true, job: false },
  followDraft: { min: 'viewer', agent: true, job: false },
  openDraft: { min: 'operator', agent: true, job: false },
  changeDraft: { min: 'operator', agent: true, job: false },
  undoDraft: { min: 'operator', agent: true, job: false },
  focusDraft: { min: 'operator', agent: true, job: false },
  deleteDraft: { min: 'operator', agent: true, job: false },
  commitDraft: { min: 'operator', agent: true, job: false },
  // Schedules start runs as startRun does: operators write them, agents only read.
  listSchedules: { min: 'viewer', agent: true, job: false },
  getSchedule: { min: 'viewer', agent: true, job: false },
  createSchedule: { min: 'operator', agent: false, job: false },
  pauseSchedule: { min: 'operator', agent: false, job: false },
  resumeSchedule: { min: 'operator', agent: false, job: false },
  triggerSchedule: { min: 'operator', agent: false, job: false },
  backfillSchedule: { min: 'operator', agent: false, job: false },
  deleteSchedule: { min: 'operator', agent: false, job: false },
  claimRunnerJob: { min: 'runner', agent: false, job: false, runner: true },
  heartbeatRunnerLease: { min: 'runner', agent: false, job: false, runner: true },
  putRunnerContent: { min: 'runner', agent: false, job: false, runner: true },
  reportRunnerResult: { min: 'runner', agent: false, job: false, runner: true },
  reportRunnerDeltas: { min: 'runner', agent: false, job: false, runner: true },
  releaseRunnerLease: { min: 'runner', agent: false, job: false, runner: true },
} as const satisfies Record<string, OperationRule>;

export type Operation = keyof typeof OPERATIONS;

export function allowed(role: Role, op: Operation): boolean {
  const rule: OperationRule = OPERATIONS[op];
  if (role === 'agent') return rule.agent;
  if (role === 'runner') return rule.runner === true;
  return atLeast(role, rule.min);
}

/** Throws FORBIDDEN (naming what the operation needs) unless the principal may call `op`. */
export function authorize(principal: Principal, op: Operation): void {
  const rule: OperationRule = OPERATIONS[op];
  if (principal.runId !== undefined && !rule.job) {
    throw new AobError(
      'FORBIDDEN',
      `${op} is not open to a job token: ${principal.subject}'s token is scoped to run ${principal.runId} (it may read that run and propose patches to it)`,
    );
  }
  if (allowed(principal.role, op)) return;
  const needs = !RANKED.includes(rule.min)
    ? rule.min
    : rule.agent
      ? `${rule.min} or above, or agent`
      : `${rule.min} or above`;
  throw new AobError(
    'FORBIDDEN',
    `${op} needs the role ${needs}; ${principal.subject} is ${principal.role}`,
  );
}
