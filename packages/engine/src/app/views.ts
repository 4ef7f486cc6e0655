import type { RunState } from '@aob/core';
import { shownNodeStatus } from '@aob/core';
import type { ApprovalView, NodeView, RunView } from './operations.js';

/** The user-facing view of a run, from its folded state and its resolved output (node statuses as shownNodeStatus says). */
export function runView(state: RunState, output: unknown, nodeIds: readonly string[]): RunView {
  const nodes: Record<string, NodeView> = {};
  for (const id of nodeIds) {
    const n = Object.hasOwn(state.nodes, id) ? state.nodes[id] : undefined;
    nodes[id] = {
      status: shownNodeStatus(n?.status ?? 'pending', state.status),
      attempts: n?.attempt ?? 0,
    };
  }
  const view: RunView = {
    runId: state.runId,
    workflow: `${state.workflow.name}@${state.workflow.version}`,
    irHash: state.irHash,
    status: state.status,
    nodes,
    startedAt: state.startedAt,
    usage: { ...state.usage },
  };
  if (state.budget) view.budget = { ...state.budget };
  if (state.budgetExceeded) view.budgetExceeded = { ...state.budgetExceeded };
  if (state.status === 'completed') view.output = output;
  if (state.error) view.error = state.error;
  if (state.endedAt !== undefined) view.endedAt = state.endedAt;
  if (state.parent) view.parentRunId = state.parent.runId;
  if (state.schedule) view.schedule = { ...state.schedule };
  if (state.replay) {
    view.replayOf = state.replay.of;
    view.fromNode = state.replay.fromNode;
  }
  const waitingOn = approvalsOf(state)
    .filter((a) => a.status === 'open')
    .map((a) => a.ticketId);
  if (waitingOn.length > 0) view.waitingOn = waitingOn;
  const questions = openQuestionIds(state);
  if (questions.length > 0) view.questions = questions;
  return view;
}

/** The questions the run waits on: unanswered, their node (or map item) waiting, the run live. */
function openQuestionIds(state: RunState): string[] {
  if (state.status !== 'running' && state.status !== 'waiting') return [];
  const out: string[] = [];
  for (const n of Object.values(state.nodes)) {
    const units = [n, ...Object.values(n.map?.iterations ?? {})];
    for (const u of units) {
      if (u.question && !u.question.answered && u.status === 'waiting') {
        out.push(u.question.questionId);
      }
    }
  }
  return out;
}

export function approvalsOf(state: RunState): ApprovalView[] {
  const out: ApprovalView[] = [];
  for (const [nodeId, n] of Object.entries(state.nodes)) {
    const t = n.ticket;
    if (!t) continue;
    const open =
      !t.decided &&
      n.status === 'waiting' &&
      (state.status === 'running' || state.status === 'waiting');
    const status = t.decided ? t.decided.decision : open ? 'open' : 'rejected';
    if (!t.decided && !open) continue; // the run ended around an undecided ticket
    out.push({
      ticketId: t.ticketId,
      runId: state.runId,
      nodeId,
      status,
      approvers: [...t.approvers],
      quorum: t.quorum,
      ...(t.timer && open ? { dueAt: t.timer.dueAt } : {}),
      ...(t.message !== undefined ? { message: t.message } : {}),
      approvals: t.approvals.map((a) => ({ ...a })),
      escalated: t.escalated,
      ...(t.decided ? { decidedBy: t.decided.by } : {}),
      ...(t.decided?.reason !== undefined ? { reason: t.decided.reason } : {}),
    });
  }
  return out;
}
