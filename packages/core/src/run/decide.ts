import type { IR, IRNode } from '../ir/types.js';
import type { DecideEnv, Decision, Trigger } from './commands.js';
import { Decider } from './decider.js';
import type { AttemptState, RunState } from './state.js';
import { FINISHED, isRunOver } from './state.js';
import {
  advance,
  failNodeForGood,
  finishMap,
  rebuildJob,
  startIteration,
  succeedNode,
} from './advance.js';
import { answerByDefault, answerQuestion, suspendForQuestion } from './questions.js';
import type { ErrorData } from '../errors.js';
import { cancelRun, inFlightWork } from './ending.js';
import {
  budgetPaused,
  exceedBudget,
  inheritedBreach,
  mayExecute,
  overspent,
  raiseBudget,
  wallTimeUp,
} from './budget-check.js';
import { spendingBreach, tightest, withUsage } from './budget.js';
import type { NodeUsage } from './budget.js';
import { retryDelayMs } from './backoff.js';
import { proposePatch, reviewPatch, revertPatch } from './patches.js';

/**
 * The run state machine: given the state (folded from the log), the IR the run is on and what
 * happened, returns the events to append, the commands for the shell and the blobs the events
 * reference. Pure: time, randomness, ids and content come from `env`. The events are already
 * applied to `state` (which the caller owns) when decide returns; if the append then fails, the
 * caller must refold the log.
 *
 * Results that do not match the current attempt of a node (duplicates, stale attempts) and
 * triggers that arrive after the run ended change nothing.
 */
export function decide(state: RunState, ir: IR, trigger: Trigger, env: DecideEnv): Decision {
  const d = new Decider(state, ir, env);
  if (trigger.type === 'start') {
    if (state.seq > 0) return d.result();
    state.runId = trigger.runId;
    const budget = tightest(trigger.budget, ir.definition.budget);
    const budgetTimer =
      budget?.wallMs !== undefined
        ? { timerId: env.newId('timer'), dueAt: env.now + budget.wallMs }
        : undefined;
    d.emit(
      'RunStarted',
      {
        workflow: { name: ir.name, version: ir.version },
        inputs: d.blob(trigger.inputs ?? {}),
        ...(trigger.parent ? { parent: trigger.parent } : {}),
        ...(trigger.replay ? { replay: trigger.replay } : {}),
        ...(trigger.schedule ? { schedule: { ...trigger.schedule } } : {}),
        ...(trigger.namespace !== undefined ? { namespace: trigger.namespace } : {}),
        ...(budget ? { budget } : {}),
        ...(budgetTimer ? { budgetTimer } : {}),
      },
      trigger.actor,
    );
    if (budgetTimer) d.command({ type: 'scheduleTimer', ...budgetTimer });
    advance(d, ir.entries.length === 0 ? 'all' : 'all');
    return d.result();
  }
  if (isRunOver(state)) return d.result();
  switch (trigger.type) {
    case 'nodeStarted': {
      // Fidelity fast: a start changes nothing recovery needs (a scheduled node and a running
      // one are recovered alike, and both may succeed or fail), so it is not recorded.
      if (d.ir.definition.fidelity === 'fast') break;
      const unit = unitOf(d, trigger.nodeId, trigger.iteration);
      if (unit && unit.attempt === trigger.attempt && unit.status === 'scheduled') {
        d.emit('NodeStarted', {
          nodeId: trigger.nodeId,
          attempt: trigger.attempt,
          ...(trigger.iteration !== undefined ? { iteration: trigger.iteration } : {}),
        });
      }
      break;
    }
    case 'nodeLog':
      d.emit('NodeLog', {
        nodeId: trigger.nodeId,
        attempt: trigger.attempt,
        ...(trigger.iteration !== undefined ? { iteration: trigger.iteration } : {}),
        level: trigger.level,
        message: trigger.message,
      });
      break;
    case 'nodeSucceeded': {
      const n = d.irNode(trigger.nodeId);
      const unit = unitOf(d, trigger.nodeId, trigger.iteration);
      if (!n || !unit || unit.attempt !== trigger.attempt) break;
      if (unit.status !== 'scheduled' && unit.status !== 'running') break;
      const usage = trigger.usage;
      if (trigger.iteration === undefined) {
        succeedNode(d, n, trigger.output, trigger.attempt, ['success'], undefined, usage);
        if (!overspent(d)) advance(d, [n.index]);
        break;
      }
      d.emit('NodeSucceeded', {
        nodeId: n.id,
        attempt: trigger.attempt,
        iteration: trigger.iteration,
        output: trigger.output,
        ...(usage ? { usage } : {}),
      });
      if (overspent(d)) break;
      const map = state.nodes[n.id]!.map!;
      if (map.next < map.total) startIteration(d, n, map.next);
      if (map.done === map.total) {
        finishMap(d, n);
        advance(d, [n.index]);
      }
      break;
    }
    case 'nodeFailed': {
      const n = d.irNode(trigger.nodeId);
      const unit = unitOf(d, trigger.nodeId, trigger.iteration);
      if (!n || !unit || unit.attempt !== trigger.attempt) break;
      if (unit.status !== 'scheduled' && unit.status !== 'running') break;
      failAttempt(d, n, trigger.iteration, trigger.attempt, trigger.error, trigger.usage);
      break;
    }
    case 'nodeSuspended':
      suspendForQuestion(d, trigger);
      break;
    case 'answer':
      answerQuestion(d, trigger.questionId, trigger.answer, trigger.by);
      break;
    case 'raiseBudget': {
      const wasPaused = budgetPaused(state);
      raiseBudget(d, trigger.budget, trigger.by, trigger.reason);
      if (wasPaused && !budgetPaused(state)) resumeHeldWork(d);
      break;
    }
    case 'timerFired':
      onTimer(d, trigger.timerId);
      break;
    case 'approve': {
      const found = openTicket(d, trigger.ticketId);
      if (!found) break;
      // The quorum counts distinct identities: a second approval by the same one changes nothing.
      // (A rejection by someone who approved earlier still decides: any approver may veto.)
      const ticket = found.state.ticket!;
      if (trigger.decision === 'approved' && ticket.approvals.some((a) => a.by === trigger.by))
        break;
      d.emit(
        'ApprovalDecided',
        {
          ticketId: trigger.ticketId,
          decision: trigger.decision,
          by: trigger.by,
          ...(trigger.reason !== undefined ? { reason: trigger.reason } : {}),
        },
        trigger.by,
      );
      finishApproval(d, found.node, false);
      break;
    }
    case 'reassign': {
      const found = openTicket(d, trigger.ticketId);
      // Nobody left to decide, or an entry or identity the log cannot hold: nothing happens (the
      // API refuses these before they become triggers).
      if (!found || trigger.approvers.length === 0 || trigger.by === '') break;
      if (trigger.approvers.some((a) => typeof a !== 'string' || a === '')) break;
      d.emit(
        'ApprovalReassigned',
        {
          ticketId: trigger.ticketId,
          approvers: [...trigger.approvers],
          by: trigger.by,
          ...(trigger.reason !== undefined ? { reason: trigger.reason } : {}),
        },
        trigger.by,
      );
      break;
    }
    case 'childFinished': {
      for (const n of ir.nodes) {
        const s = state.nodes[n.id];
        if (s?.childRunId !== trigger.childRunId || s.status !== 'waiting') continue;
        childFinished(d, n, trigger, s.attempt || 1);
      }
      break;
    }
    case 'cancel':
      cancelRun(d, trigger.reason, trigger.by);
      break;
    case 'recover':
      recover(d);
      break;
    case 'redrive':
      redrive(d, trigger.graceMs);
      break;
    case 'proposePatch':
      proposePatch(d, trigger.patch, trigger.actor);
      break;
    case 'reviewPatch':
      reviewPatch(d, trigger.patchId, trigger.decision, trigger.by, trigger.reason);
      break;
    case 'revertPatch':
      revertPatch(d, trigger.patchId, trigger.by);
      break;
  }
  return d.result();
}

function unitOf(d: Decider, nodeId: string, iteration: number | undefined) {
  const n = d.state.nodes[nodeId];
  if (!n) return undefined;
  if (iteration === undefined) return n.map ? undefined : n;
  return n.map?.iterations[iteration];
}

/**
 * The attempt failed: a retry when the error is retryable and attempts are left; otherwise the
 * node (or its map item, which fails the map) fails for good.
 *
 * What it spent (`usage`) is recorded on its NodeFailed and checked first: when it takes the run
 * past a spending limit the run ends by its budget (BudgetExceeded, then RunFailed or
 * RunCancelled) and the node is neither retried nor routed. Under `pause` the node's own policy
 * applies and nothing new is scheduled until the limit is raised — except for an attempt its
 * runner stopped at the run's budget (BUDGET_EXCEEDED), which is not the node's failure: it is
 * held, and tried again (as a new attempt, whatever its retry policy) once the limit is raised.
 * Such a stop the run's budget no longer confirms (the limit was raised while it ran) is retried
 * by the node's policy as a retryable error.
 */
function failAttempt(
  d: Decider,
  n: IRNode,
  iteration: number | undefined,
  attempt: number,
  error: ErrorData,
  usage?: NodeUsage,
): void {
  const { state, env } = d;
  const policy = iteration === undefined ? n.retry : n.map!.body.retry;
  const iter = iteration !== undefined ? { iteration } : {};
  const spent = usage ? { usage } : {};
  const crossed =
    usage !== undefined &&
    spendingBreach(state.budget, withUsage(state.usage, usage)) !== undefined;
  const budgetStop = error.code === 'BUDGET_EXCEEDED';
  const pause = state.budget?.onExceeded === 'pause';
  if (crossed && !pause) {
    d.emit('NodeFailed', { nodeId: n.id, attempt, ...iter, error, final: true, ...spent });
    overspent(d);
    return;
  }
  if (budgetStop && (crossed || budgetPaused(state))) {
    d.emit('NodeFailed', { nodeId: n.id, attempt, ...iter, error, final: false, ...spent });
    overspent(d);
    return;
  }
  if ((error.retryable || budgetStop) && attempt < policy.maxAttempts) {
    d.emit('NodeFailed', { nodeId: n.id, attempt, ...iter, error, final: false, ...spent });
    const delayMs = retryDelayMs(policy, attempt, env.random());
    const timerId = env.newId('timer');
    const dueAt = env.now + delayMs;
    d.emit('NodeRetryScheduled', {
      nodeId: n.id,
      ...iter,
      attempt: attempt + 1,
      delayMs,
      dueAt,
      timerId,
    });
    d.command({ type: 'scheduleTimer', timerId, dueAt });
    overspent(d); // under pause: the retry is held
    return;
  }
  if (iteration !== undefined) {
    d.emit('NodeFailed', { nodeId: n.id, attempt, ...iter, error, final: true, ...spent });
    const work = inFlightWork(d);
    const mapError = {
      code: 'MAP_ITERATION_FAILED',
      message: `item ${iteration} of ${n.id} failed: ${error.message}`,
      retryable: false,
      details: { index: iteration, error },
    };
    failNodeForGood(d, n, mapError, state.nodes[n.id]!.attempt || 1);
    if (work.jobs.includes(n.id))
      d.command({ type: 'abortJobs', runId: state.runId, nodeIds: [n.id] });
  } else {
    failNodeForGood(d, n, error, attempt, undefined, usage);
  }
  if (!overspent(d)) advance(d, [n.index]);
}

/**
 * A subworkflow node's child run ended: the node succeeds with its output or fails
 * (CHILD_FAILED), recording what the child spent. When that puts this run over a limit the child
 * inherited from it (or the child ended by one this run has crossed too), this run ends by its
 * budget instead of by the node's failure; under `pause` it waits as for any crossing.
 */
function childFinished(
  d: Decider,
  n: IRNode,
  trigger: Extract<Trigger, { type: 'childFinished' }>,
  attempt: number,
): void {
  const { usage } = trigger;
  if (trigger.status === 'completed' && trigger.output) {
    succeedNode(d, n, trigger.output, attempt, ['success'], undefined, usage);
    if (!overspent(d)) advance(d, [n.index]);
    return;
  }
  const childError = trigger.error ?? {
    code: 'CHILD_CANCELLED',
    message: `child run ${trigger.childRunId} was cancelled`,
    retryable: false,
  };
  const error: ErrorData = {
    code: 'CHILD_FAILED',
    message: `child run ${trigger.childRunId} ${trigger.status}: ${childError.message}`,
    retryable: false,
    details: { childRunId: trigger.childRunId, error: childError },
  };
  const { state } = d;
  const breach = inheritedBreach(
    state,
    withUsage(state.usage, usage),
    trigger.budgetExceeded,
    d.env.now,
  );
  if (breach && state.budget?.onExceeded !== 'pause') {
    d.emit('NodeFailed', {
      nodeId: n.id,
      attempt,
      error,
      final: true,
      ...(usage ? { usage } : {}),
    });
    exceedBudget(d, breach);
    return;
  }
  failNodeForGood(d, n, error, attempt, undefined, usage);
  if (!overspent(d)) advance(d, [n.index]);
}

/** The node of a ticket that can still be decided: undecided, its node waiting on it. */
function openTicket(
  d: Decider,
  ticketId: string,
): { node: IRNode; state: NonNullable<RunState['nodes'][string]> } | undefined {
  for (const n of d.ir.nodes) {
    const s = d.state.nodes[n.id];
    if (s?.ticket?.ticketId !== ticketId) continue;
    return s.ticket.decided || s.status !== 'waiting' ? undefined : { node: n, state: s };
  }
  return undefined;
}

/** Completes an approval node once its ticket is decided (by people or by its timeout). */
function finishApproval(d: Decider, n: IRNode, byTimeout: boolean): void {
  const s = d.state.nodes[n.id]!;
  const decided = s.ticket!.decided;
  if (!decided) return;
  const output = { decision: decided.decision, by: decided.by, reason: decided.reason ?? null };
  const ports = byTimeout ? [decided.decision, 'timeout'] : [decided.decision];
  succeedNode(d, n, d.blob(output), s.attempt || 1, ports);
  advance(d, [n.index]);
}

function onTimer(d: Decider, timerId: string): void {
  const timer = d.state.timers[timerId];
  if (!timer) return;
  d.emit('TimerFired', { timerId });
  if (timer.kind === 'budget') {
    wallTimeUp(d);
    return;
  }
  const n = d.irNode(timer.nodeId);
  if (!n) return;
  const s = d.state.nodes[n.id]!;
  if (timer.kind === 'retry') {
    const unit = timer.iteration === undefined ? s : s.map!.iterations[timer.iteration]!;
    const attempt = unit.attempt + 1;
    const iter = timer.iteration !== undefined ? { iteration: timer.iteration } : {};
    const body = timer.iteration === undefined ? n : n.map!.body;
    if (!mayExecute(d)) return;
    d.emit('NodeScheduled', {
      nodeId: n.id,
      ...iter,
      attempt,
      input: unit.input!,
      inputHash: unit.inputHash!,
      priority: body.priority,
    });
    d.command({ type: 'dispatch', job: rebuildJob(d, n, timer.iteration, attempt) });
    return;
  }
  if (timer.kind === 'timer') {
    succeedNode(d, n, d.blob({ firedAt: timer.dueAt }), s.attempt || 1, ['success']);
    advance(d, [n.index]);
    return;
  }
  if (timer.kind === 'question') {
    const unit = timer.iteration === undefined ? s : s.map?.iterations[timer.iteration];
    if (!unit?.question || unit.question.answered || unit.status !== 'waiting') return;
    if (answerByDefault(d, n, unit.question)) return;
    failAttempt(d, n, timer.iteration, unit.attempt, {
      code: 'QUESTION_TIMEOUT',
      message: `${n.id}: question ${unit.question.questionId} was not answered in time`,
      retryable: false,
      details: { questionId: unit.question.questionId },
    });
    return;
  }
  // An approval's timeout.
  const ticket = s.ticket!;
  const cfg = (n.with.isStatic ? n.with.source : n.with.evaluate(d.context())) as Record<
    string,
    unknown
  >;
  const onTimeout = (cfg.onTimeout as string | undefined) ?? 'fail';
  const escalateTo = (cfg.escalateTo as string[] | undefined) ?? [];
  if (onTimeout === 'escalate' && !ticket.escalated && escalateTo.length > 0) {
    const timeoutMs = typeof cfg.timeoutMs === 'number' ? cfg.timeoutMs : undefined;
    if (timeoutMs !== undefined) {
      const next = d.env.newId('timer');
      const dueAt = d.env.now + timeoutMs;
      d.emit('ApprovalEscalated', {
        ticketId: ticket.ticketId,
        approvers: escalateTo,
        dueAt,
        timerId: next,
      });
      d.command({ type: 'scheduleTimer', timerId: next, dueAt });
    } else {
      d.emit('ApprovalEscalated', { ticketId: ticket.ticketId, approvers: escalateTo });
    }
    return;
  }
  if (onTimeout === 'fail') {
    failNodeForGood(
      d,
      n,
      {
        code: 'APPROVAL_TIMEOUT',
        message: `approval ${n.id} was not decided in time`,
        retryable: false,
      },
      s.attempt || 1,
    );
    advance(d, [n.index]);
    return;
  }
  const fallback = onTimeout === 'escalate' ? cfg.defaultDecision : onTimeout;
  const decision = fallback === 'approve' ? 'approved' : 'rejected';
  d.emit(
    'ApprovalDecided',
    {
      ticketId: ticket.ticketId,
      decision,
      by: 'timeout',
      reason: `not decided in time (${onTimeout})`,
      // Final whatever the quorum (evolve sets `decided` from it, so the fold agrees).
      timedOut: true,
    },
    'timeout',
  );
  finishApproval(d, n, true);
}

/**
 * Sends again the jobs of attempts in flight that made no progress past their deadline: the job or
 * its result was lost, or the runner holding it is gone. The same attempt, so a runner that
 * finished it answers with its recorded result and one still running it keeps it (the attempt
 * ledger); the event restarts the deadline.
 */
function redrive(d: Decider, graceMs: number): void {
  const overdue = (unit: AttemptState, timeoutMs: number): number | undefined => {
    if (unit.status !== 'scheduled' && unit.status !== 'running') return undefined;
    const late = d.env.now - ((unit.since ?? d.state.startedAt) + timeoutMs + graceMs);
    return late >= 0 ? late : undefined;
  };
  for (const n of d.ir.nodes) {
    const s = d.state.nodes[n.id];
    if (!s) continue;
    const units: [number | undefined, AttemptState, number][] = s.map
      ? Object.entries(s.map.iterations).map(([i, it]) => [Number(i), it, n.map!.body.timeoutMs])
      : [[undefined, s, n.timeoutMs]];
    for (const [iteration, unit, timeoutMs] of units) {
      const late = overdue(unit, timeoutMs);
      if (late === undefined) continue;
      d.emit('NodeRedispatched', {
        nodeId: n.id,
        attempt: unit.attempt,
        overdueMs: Math.floor(late),
        ...(iteration !== undefined ? { iteration } : {}),
      });
      d.command({ type: 'dispatch', job: rebuildJob(d, n, iteration, unit.attempt) });
    }
  }
}

/**
 * A run paused by its budget goes on: what its pause held is scheduled now — retries whose timer
 * fired meanwhile, map items not started, maps whose items all finished, and ready nodes.
 */
function resumeHeldWork(d: Decider): void {
  for (const n of d.ir.nodes) {
    const s = d.state.nodes[n.id];
    if (!s) continue;
    const units: [number | undefined, AttemptState][] = s.map
      ? Object.entries(s.map.iterations).map(([i, it]) => [Number(i), it])
      : [[undefined, s]];
    for (const [iteration, unit] of units) {
      if (
        unit.status !== 'retrying' ||
        (unit.retryTimer && d.state.timers[unit.retryTimer.timerId])
      )
        continue;
      if (!mayExecute(d)) return;
      const body = iteration === undefined ? n : n.map!.body;
      const attempt = unit.attempt + 1;
      d.emit('NodeScheduled', {
        nodeId: n.id,
        ...(iteration !== undefined ? { iteration } : {}),
        attempt,
        input: unit.input!,
        inputHash: unit.inputHash!,
        priority: body.priority,
      });
      d.command({ type: 'dispatch', job: rebuildJob(d, n, iteration, attempt) });
    }
    const map = s.map;
    if (map && s.status === 'waiting') {
      const inFlight = Object.values(map.iterations).filter(
        (it) => !FINISHED.has(it.status),
      ).length;
      for (let k = inFlight; k < n.map!.concurrency && map.next < map.total; k++) {
        if (!mayExecute(d)) return;
        startIteration(d, n, map.next);
      }
      if (map.done === map.total) {
        finishMap(d, n);
        advance(d, [n.index]);
      }
    }
  }
  advance(d, 'all');
}

/**
 * After a restart: re-dispatch jobs in flight, re-arm timers, watch children. Open tickets need
 * nothing: they are read from the log.
 */
function recover(d: Decider): void {
  for (const n of d.ir.nodes) {
    const s = d.state.nodes[n.id];
    if (!s) continue;
    if ((s.status === 'scheduled' || s.status === 'running') && !s.map) {
      d.command({ type: 'dispatch', job: rebuildJob(d, n, undefined, s.attempt) });
    }
    if (s.map) {
      for (const [i, it] of Object.entries(s.map.iterations)) {
        if (it.status === 'scheduled' || it.status === 'running') {
          d.command({ type: 'dispatch', job: rebuildJob(d, n, Number(i), it.attempt) });
        }
      }
    }
    if (s.childRunId && s.status === 'waiting')
      d.command({ type: 'watchChild', childRunId: s.childRunId });
  }
  for (const [timerId, t] of Object.entries(d.state.timers))
    d.command({ type: 'scheduleTimer', timerId, dueAt: t.dueAt });
  advance(d, 'all');
}
