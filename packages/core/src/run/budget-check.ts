// Where a decision holds a run to its budget. Spending (tokens, dollars) is checked as a result
// that reports it is recorded, before anything downstream is scheduled; node executions before
// each one is scheduled; wall time by the run's budget timer. A crossing appends BudgetExceeded
// first, then ends the run by its policy, so nothing is scheduled after it — or, with `pause`,
// holds it: work in flight finishes and is recorded, nothing new is scheduled, and the run waits
// until someone raises the limit (BudgetRaised) or cancels it.
import type { Decider } from './decider.js';
import type { BudgetBreach, RunUsage } from './budget.js';
import { executionBreach, spendingBreach } from './budget.js';
import { cancelRun, failRun } from './ending.js';
import { isRunOver } from './state.js';
import type { RunState } from './state.js';
import type { Budget } from './budget.js';

const LIMIT_NAMES = {
  tokens: 'tokens',
  costUsd: 'cost (USD)',
  wallMs: 'wall time (ms)',
  nodes: 'node executions',
};

/** The run crossed its budget and waits for a person to raise it (its policy is `pause`). */
export function budgetPaused(state: RunState): boolean {
  return !isRunOver(state) && state.budgetExceeded !== undefined;
}

/** Whether the run may schedule one more execution; ends it when its node limit forbids. */
export function mayExecute(d: Decider): boolean {
  if (isRunOver(d.state) || budgetPaused(d.state)) return false;
  const breach = executionBreach(d.state.budget, d.state.usage);
  if (breach) exceedBudget(d, breach);
  return !breach;
}

/** After usage was recorded: whether the run has overspent (and was ended for it). */
export function overspent(d: Decider): boolean {
  if (isRunOver(d.state) || budgetPaused(d.state)) return true;
  const breach = spendingBreach(d.state.budget, d.state.usage);
  if (breach) exceedBudget(d, breach);
  return breach !== undefined;
}

/** The wall-time budget's timer fired. */
export function wallTimeUp(d: Decider): void {
  const wallMs = d.state.budget?.wallMs;
  if (wallMs === undefined || isRunOver(d.state) || budgetPaused(d.state)) return;
  exceedBudget(d, { limit: 'wallMs', budget: wallMs, used: d.env.now - d.state.startedAt });
}

/**
 * A child run ended by its budget (`child`, the limit it crossed): whether its parent — whose
 * usage already holds the child's — is over the same limit, which the child inherited from it.
 * Spending by the usage; node executions when the parent has none left (the child wanted one
 * more); wall time when the parent's has run out. Pure: nothing is emitted.
 */
export function inheritedBreach(
  state: RunState,
  usage: RunUsage,
  child: BudgetBreach | undefined,
  now: number,
): BudgetBreach | undefined {
  const spent = spendingBreach(state.budget, usage);
  if (spent || !child) return spent;
  if (child.limit === 'nodes') return executionBreach(state.budget, usage);
  const wallMs = state.budget?.wallMs;
  if (child.limit === 'wallMs' && wallMs !== undefined && now >= state.startedAt + wallMs)
    return { limit: 'wallMs', budget: wallMs, used: now - state.startedAt };
  return undefined;
}

/** Appends BudgetExceeded for `breach` and ends (or pauses) the run by its policy. */
export function exceedBudget(d: Decider, breach: BudgetBreach): void {
  const onExceeded = d.state.budget?.onExceeded ?? 'fail';
  d.emit('BudgetExceeded', { ...breach, onExceeded });
  const message = `the run crossed its budget of ${breach.budget} ${LIMIT_NAMES[breach.limit]} (${breach.used} used)`;
  if (onExceeded === 'cancel') cancelRun(d, message, 'budget');
  else if (onExceeded === 'pause')
    d.emit('RunWaiting', { ...peopleWaitedOn(d.state), budget: true });
  else failRun(d, { code: 'BUDGET_EXCEEDED', message, retryable: false, details: { ...breach } });
}

/**
 * Someone changed the run's limits: the given ones replace the run's, the others stay. A paused
 * run whose limits are no longer crossed goes on (what was held is scheduled); one still over a
 * limit is exceeded, and paused, again.
 */
export function raiseBudget(d: Decider, given: Budget, by: string, reason?: string): void {
  if (isRunOver(d.state) || by === '') return;
  const budget: Budget = { ...d.state.budget, ...given };
  const wallMs = budget.wallMs;
  const budgetTimer =
    wallMs !== undefined && wallMs !== d.state.budget?.wallMs
      ? { timerId: d.env.newId('timer'), dueAt: d.state.startedAt + wallMs }
      : undefined;
  d.emit(
    'BudgetRaised',
    {
      budget,
      by,
      ...(reason !== undefined ? { reason } : {}),
      ...(budgetTimer ? { budgetTimer } : {}),
    },
    by,
  );
  if (budgetTimer) d.command({ type: 'scheduleTimer', ...budgetTimer });
  const breach =
    spendingBreach(budget, d.state.usage) ??
    (wallMs !== undefined && d.env.now >= d.state.startedAt + wallMs
      ? { limit: 'wallMs' as const, budget: wallMs, used: d.env.now - d.state.startedAt }
      : undefined);
  if (breach) exceedBudget(d, breach);
}

/** The tickets and questions the run waits on (for RunWaiting). */
function peopleWaitedOn(state: RunState): { tickets: string[]; questions?: string[] } {
  const tickets: string[] = [];
  const questions: string[] = [];
  for (const n of Object.values(state.nodes)) {
    if (n.ticket && !n.ticket.decided && n.status === 'waiting') tickets.push(n.ticket.ticketId);
    if (n.question && !n.question.answered && n.status === 'waiting')
      questions.push(n.question.questionId);
  }
  return { tickets, ...(questions.length > 0 ? { questions } : {}) };
}
