import { setKey } from '../expr/json.js';
import type { AnyRunEvent } from './events.js';
import type { AttemptState, NodeState, PatchState, RunState } from './state.js';
import { initialState } from './state.js';
import { addUsage } from './budget.js';

/**
 * Applies one persisted event to a run state and returns it.
 *
 * Folding a log always gives the same state: evolve reads nothing but the state and the event.
 * For speed it updates `state` in place (the caller owns it; clone first to keep the old one).
 * Events arrive in seq order; an event whose seq is not above `state.seq` is ignored, so
 * re-applying a log prefix changes nothing.
 */
export function evolve(state: RunState, event: AnyRunEvent): RunState {
  if (event.seq <= state.seq) return state;
  state.seq = event.seq;
  if (event.irHash) state.irHash = event.irHash;
  switch (event.type) {
    case 'RunStarted': {
      const d = event.data;
      state.runId = event.runId;
      state.baseIrHash = event.irHash;
      state.workflow = { ...d.workflow };
      state.namespace = d.namespace ?? 'default';
      state.inputs = d.inputs;
      state.startedAt = event.at;
      state.status = 'running';
      if (d.parent) state.parent = { ...d.parent };
      if (d.replay) state.replay = d.replay;
      if (d.schedule) state.schedule = { ...d.schedule };
      if (d.budget) state.budget = { ...d.budget };
      if (d.budgetTimer) {
        const { timerId, dueAt } = d.budgetTimer;
        state.timers[timerId] = { nodeId: '', dueAt, kind: 'budget' };
      }
      break;
    }
    case 'NodeScheduled': {
      const d = event.data;
      // Every attempt of a node or map item is an execution; a map's own scheduling is not.
      if (d.items === undefined) state.usage.nodes += 1;
      const unit = attemptUnit(state, d.nodeId, d.iteration);
      unit.status = 'scheduled';
      unit.attempt = d.attempt;
      unit.input = d.input;
      unit.inputHash = d.inputHash;
      unit.since = event.at;
      delete unit.error;
      delete unit.question;
      if (unit.retryTimer) {
        delete state.timers[unit.retryTimer.timerId];
        delete unit.retryTimer;
      }
      if (d.iteration !== undefined) node(state, d.nodeId).status = 'waiting';
      if (d.items !== undefined) {
        const n = node(state, d.nodeId);
        n.status = 'waiting';
        n.map = { total: d.items, next: 0, done: 0, iterations: {} };
      }
      if (state.status === 'waiting') state.status = 'running';
      break;
    }
    case 'NodeStarted': {
      const d = event.data;
      const unit = attemptUnit(state, d.nodeId, d.iteration);
      if (unit.attempt === d.attempt && unit.status === 'scheduled') {
        unit.status = 'running';
        unit.since = event.at;
      }
      break;
    }
    case 'NodeRedispatched': {
      const d = event.data;
      const unit = attemptUnit(state, d.nodeId, d.iteration);
      if (unit.attempt === d.attempt) unit.since = event.at;
      break;
    }
    case 'NodeSucceeded': {
      const d = event.data;
      if (d.usage) addUsage(state.usage, d.usage);
      if (d.iteration !== undefined) {
        const n = node(state, d.nodeId);
        const it = attemptUnit(state, d.nodeId, d.iteration);
        it.status = 'succeeded';
        it.attempt = d.attempt;
        it.output = d.output;
        if (n.map) n.map.done += 1;
        break;
      }
      const n = node(state, d.nodeId);
      n.status = 'succeeded';
      n.attempt = d.attempt;
      n.output = d.output;
      n.ports = d.ports ?? ['success'];
      n.route = d.route ?? [];
      if (d.reused) n.reused = d.reused;
      clearNodeTimers(state, n);
      break;
    }
    case 'NodeFailed': {
      const d = event.data;
      if (d.usage) addUsage(state.usage, d.usage);
      const unit = attemptUnit(state, d.nodeId, d.iteration);
      unit.attempt = d.attempt;
      unit.error = d.error;
      // Not final: another attempt follows — after its retry timer (NodeRetryScheduled, next), or,
      // for an attempt stopped by a paused run's budget, once the limit is raised.
      unit.status = d.final ? 'failed' : 'retrying';
      if (d.iteration === undefined && d.final) {
        const n = unit as NodeState;
        n.route = d.route ?? [];
        n.ports = ['failure'];
        if (d.handled) n.handled = true;
        if (d.reused) n.reused = d.reused;
        clearNodeTimers(state, n);
      }
      break;
    }
    case 'NodeRetryScheduled': {
      const d = event.data;
      const unit = attemptUnit(state, d.nodeId, d.iteration);
      unit.status = 'retrying';
      unit.retryTimer = { timerId: d.timerId, dueAt: d.dueAt };
      state.timers[d.timerId] = {
        nodeId: d.nodeId,
        dueAt: d.dueAt,
        kind: 'retry',
        ...(d.iteration !== undefined ? { iteration: d.iteration } : {}),
      };
      break;
    }
    case 'NodeSkipped': {
      node(state, event.data.nodeId).status = 'skipped';
      node(state, event.data.nodeId).route = [];
      break;
    }
    case 'TimerScheduled': {
      const d = event.data;
      if (d.purpose === 'timer') {
        const n = node(state, d.nodeId);
        n.status = 'waiting';
        n.timer = { timerId: d.timerId, dueAt: d.dueAt };
      }
      state.timers[d.timerId] = { nodeId: d.nodeId, dueAt: d.dueAt, kind: d.purpose };
      break;
    }
    case 'TimerFired': {
      delete state.timers[event.data.timerId];
      break;
    }
    case 'ApprovalRequested': {
      const d = event.data;
      const n = node(state, d.nodeId);
      n.status = 'waiting';
      n.ticket = {
        ticketId: d.ticketId,
        approvers: [...d.approvers],
        quorum: d.quorum,
        ...(d.message !== undefined ? { message: d.message } : {}),
        approvals: [],
        escalated: false,
        ...(d.timerId && d.dueAt !== undefined
          ? { timer: { timerId: d.timerId, dueAt: d.dueAt } }
          : {}),
      };
      if (d.timerId && d.dueAt !== undefined) {
        state.timers[d.timerId] = { nodeId: d.nodeId, dueAt: d.dueAt, kind: 'approval' };
      }
      break;
    }
    case 'ApprovalEscalated': {
      const d = event.data;
      const n = nodeByTicket(state, d.ticketId);
      if (!n?.ticket) break;
      n.ticket.approvers = [...d.approvers];
      n.ticket.escalated = true;
      if (n.ticket.timer) delete state.timers[n.ticket.timer.timerId];
      delete n.ticket.timer;
      if (d.timerId && d.dueAt !== undefined) {
        n.ticket.timer = { timerId: d.timerId, dueAt: d.dueAt };
        state.timers[d.timerId] = { nodeId: nodeIdOf(state, n), dueAt: d.dueAt, kind: 'approval' };
      }
      break;
    }
    case 'ApprovalDecided': {
      const d = event.data;
      const n = nodeByTicket(state, d.ticketId);
      if (!n?.ticket) break;
      const reason = d.reason !== undefined ? { reason: d.reason } : {};
      if (d.timedOut) {
        // The default decision: final whatever the quorum, and nobody's approval.
        n.ticket.decided = { decision: d.decision, by: d.by, ...reason };
      } else if (d.decision === 'approved') {
        // The log holds only approvals that count (decide drops a second one by the same
        // identity), so every recorded approval is counted as it was when it was decided.
        n.ticket.approvals.push({ by: d.by, ...reason });
        if (n.ticket.approvals.length >= n.ticket.quorum) {
          n.ticket.decided = { decision: 'approved', by: d.by, ...reason };
        }
      } else {
        n.ticket.decided = { decision: 'rejected', by: d.by, ...reason };
      }
      if (state.status === 'waiting') state.status = 'running';
      break;
    }
    case 'ApprovalReassigned': {
      // The new approvers decide afresh: approvals given before stop counting. Whether an earlier
      // approver is among the new ones depends on groups and roles that live outside the log, so
      // keeping "those still listed" would make the fold depend on the directory of the day.
      const n = nodeByTicket(state, event.data.ticketId);
      if (!n?.ticket || n.ticket.decided) break;
      n.ticket.approvers = [...event.data.approvers];
      n.ticket.approvals = [];
      break;
    }
    case 'QuestionAsked': {
      const d = event.data;
      const unit = attemptUnit(state, d.nodeId, d.iteration);
      if (unit.question?.timer) delete state.timers[unit.question.timer.timerId];
      unit.status = 'waiting';
      unit.question = {
        questionId: d.questionId,
        question: d.question,
        ...(d.choices ? { choices: [...d.choices] } : {}),
        ...(d.schema ? { schema: d.schema } : {}),
        askees: [...d.askees],
        ...(d.timerId && d.dueAt !== undefined
          ? { timer: { timerId: d.timerId, dueAt: d.dueAt } }
          : {}),
        ...(d.resume ? { resume: d.resume } : {}),
      };
      if (d.timerId && d.dueAt !== undefined) {
        state.timers[d.timerId] = {
          nodeId: d.nodeId,
          dueAt: d.dueAt,
          kind: 'question',
          ...(d.iteration !== undefined ? { iteration: d.iteration } : {}),
        };
      }
      if (d.usage) addUsage(state.usage, d.usage);
      break;
    }
    case 'QuestionAnswered': {
      const d = event.data;
      const unit = questionUnit(state, d.questionId)?.unit;
      const q = unit?.question;
      if (!unit || !q || q.answered) break;
      q.answered = { answer: d.answer, by: d.by, ...(d.timedOut ? { timedOut: true } : {}) };
      if (q.timer) delete state.timers[q.timer.timerId];
      delete q.timer;
      // An agent's attempt goes on from its saved state: its job is out again.
      if (q.resume) {
        unit.status = 'scheduled';
        unit.since = event.at;
      }
      if (state.status === 'waiting') state.status = 'running';
      break;
    }
    case 'ChildRunStarted': {
      const n = node(state, event.data.nodeId);
      n.status = 'waiting';
      n.childRunId = event.data.childRunId;
      break;
    }
    case 'RunWaiting':
      state.status = 'waiting';
      break;
    case 'BudgetExceeded': {
      const { limit, budget, used } = event.data;
      state.budgetExceeded = { limit, budget, used };
      break;
    }
    case 'BudgetRaised': {
      const d = event.data;
      state.budget = { ...d.budget };
      delete state.budgetExceeded;
      // A new wall-time budget replaces the old one's timer; an unchanged one keeps it.
      if (d.budgetTimer) {
        for (const [id, t] of Object.entries(state.timers)) {
          if (t.kind === 'budget') delete state.timers[id];
        }
        const { timerId, dueAt } = d.budgetTimer;
        state.timers[timerId] = { nodeId: '', dueAt, kind: 'budget' };
      }
      if (state.status === 'waiting') state.status = 'running';
      break;
    }
    case 'RunCompleted':
      state.output = event.data.output;
      endRun(state, 'completed', event.at);
      break;
    case 'RunFailed':
      state.error = event.data.error;
      endRun(state, 'failed', event.at);
      break;
    case 'RunCancelled':
      endRun(state, 'cancelled', event.at);
      break;
    case 'PatchProposed': {
      const p = event.data.patch as { author?: unknown; ops?: unknown; baseIrHash?: unknown };
      state.patches.push({
        patchId: event.data.patchId,
        author: typeof p?.author === 'string' ? p.author : (event.actor ?? 'unknown'),
        status: 'proposed',
        ops: Array.isArray(p?.ops) ? p.ops : [],
        ...(typeof p?.baseIrHash === 'string' ? { baseIrHash: p.baseIrHash } : {}),
      });
      break;
    }
    case 'PatchHeld': {
      const p = patchById(state, event.data.patchId);
      if (p) {
        p.status = 'held';
        p.reasons = event.data.reasons;
        if (event.data.reviewers) p.reviewers = event.data.reviewers;
      }
      break;
    }
    case 'PatchRejected': {
      const p = patchById(state, event.data.patchId);
      if (p) {
        p.status = 'rejected';
        p.violations = event.data.violations;
        reviewed(p, event.data);
      }
      break;
    }
    case 'PatchApplied': {
      const p = patchById(state, event.data.patchId);
      if (p) {
        p.status = 'applied';
        p.irHash = event.data.irHash;
        p.added = event.data.added ?? [];
        reviewed(p, event.data);
      }
      for (const [from, targets] of Object.entries(event.data.routes ?? {})) {
        const n = node(state, from);
        n.route = [...(n.route ?? []), ...targets.filter((t) => !n.route?.includes(t))];
      }
      break;
    }
    case 'PatchReverted': {
      const p = patchById(state, event.data.patchId);
      if (p) p.status = 'reverted';
      break;
    }
    case 'NodeLog':
      break;
  }
  return state;
}

/** Folds a whole log into a fresh state. */
export function fold(events: readonly AnyRunEvent[], runId = events[0]?.runId ?? ''): RunState {
  const state = initialState(runId);
  for (const e of events) evolve(state, e);
  return state;
}

function reviewed(p: PatchState, data: { reviewedBy?: string; reason?: string }): void {
  if (data.reviewedBy !== undefined) p.reviewedBy = data.reviewedBy;
  if (data.reason !== undefined) p.reason = data.reason;
}

function patchById(state: RunState, patchId: string) {
  return state.patches.find((p) => p.patchId === patchId);
}

/**
 * The node's state, created on first use. Own properties only: an id such as `__proto__` (refused
 * by validation, but a log is folded as it is) must never reach Object.prototype.
 */
export function node(state: RunState, nodeId: string): NodeState {
  let n = Object.hasOwn(state.nodes, nodeId) ? state.nodes[nodeId] : undefined;
  if (!n) {
    n = { status: 'pending', attempt: 0 };
    setKey(state.nodes, nodeId, n);
  }
  return n;
}

function attemptUnit(state: RunState, nodeId: string, iteration: number | undefined): AttemptState {
  const n = node(state, nodeId);
  if (iteration === undefined) return n;
  n.map ??= { total: 0, next: 0, done: 0, iterations: {} };
  let it = n.map.iterations[iteration];
  if (!it) {
    it = { status: 'pending', attempt: 0 };
    n.map.iterations[iteration] = it;
    if (iteration >= n.map.next) n.map.next = iteration + 1;
  }
  return it;
}

/** A run that ends keeps no timers: nothing is left to wake it. */
function endRun(state: RunState, status: 'completed' | 'failed' | 'cancelled', at: number): void {
  state.status = status;
  state.endedAt = at;
  state.timers = {};
}

function clearNodeTimers(state: RunState, n: NodeState): void {
  if (n.timer) delete state.timers[n.timer.timerId];
  if (n.ticket?.timer) delete state.timers[n.ticket.timer.timerId];
  if (n.retryTimer) delete state.timers[n.retryTimer.timerId];
  if (n.question?.timer) delete state.timers[n.question.timer.timerId];
  delete n.timer;
  delete n.retryTimer;
  if (n.ticket) delete n.ticket.timer;
  if (n.question) delete n.question.timer;
}

/** The node (or map item) that asked a question, wherever it is in the run. */
export function questionUnit(
  state: RunState,
  questionId: string,
): { nodeId: string; iteration?: number; unit: AttemptState } | undefined {
  for (const [nodeId, n] of Object.entries(state.nodes)) {
    if (n.question?.questionId === questionId) return { nodeId, unit: n };
    for (const [i, it] of Object.entries(n.map?.iterations ?? {})) {
      if (it.question?.questionId === questionId) return { nodeId, iteration: Number(i), unit: it };
    }
  }
  return undefined;
}

function nodeByTicket(state: RunState, ticketId: string): NodeState | undefined {
  for (const n of Object.values(state.nodes)) if (n.ticket?.ticketId === ticketId) return n;
  return undefined;
}

function nodeIdOf(state: RunState, n: NodeState): string {
  for (const [id, v] of Object.entries(state.nodes)) if (v === n) return id;
  return '';
}
