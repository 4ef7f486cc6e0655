// Where a decision holds a run to its budget. Spending (tokens, dollars) is checked as a result
// that reports it is recorded, before anything downstream is scheduled; node executions before
// each one is scheduled; wall time by the run's budget timer. A crossing appends BudgetExceeded
// first, then ends the run by its policy, so nothing is scheduled after it.
import type { Decider } from './decider.js';
import type { BudgetBreach } from './budget.js';
import { executionBreach, spendingBreach } from './budget.js';
import { cancelRun, failRun } from './ending.js';
import { isRunOver } from './state.js';

const LIMIT_NAMES = {
  tokens: 'tokens',
  costUsd: 'cost (USD)',
  wallMs: 'wall time (ms)',
  nodes: 'node executions',
};

/** Whether the run may schedule one more execution; ends it when its node limit forbids. */
export function mayExecute(d: Decider): boolean {
  if (isRunOver(d.state)) return false;
  const breach = executionBreach(d.state.budget, d.state.usage);
  if (breach) exceedBudget(d, breach);
  return !breach;
}

/** After usage was recorded: whether the run has overspent (and was ended for it). */
export function overspent(d: Decider): boolean {
  if (isRunOver(d.state)) return true;
  const breach = spendingBreach(d.state.budget, d.state.usage);
  if (breach) exceedBudget(d, breach);
  return breach !== undefined;
}

/** The wall-time budget's timer fired. */
export function wallTimeUp(d: Decider): void {
  const wallMs = d.state.budget?.wallMs;
  if (wallMs === undefined || isRunOver(d.state)) return;
  exceedBudget(d, { limit: 'wallMs', budget: wallMs, used: d.env.now - d.state.startedAt });
}

function exceedBudget(d: Decider, breach: BudgetBreach): void {
  const onExceeded = d.state.budget?.onExceeded ?? 'fail';
  d.emit('BudgetExceeded', { ...breach, onExceeded });
  const message = `the run crossed its budget of ${breach.budget} ${LIMIT_NAMES[breach.limit]} (${breach.used} used)`;
  if (onExceeded === 'cancel') cancelRun(d, message, 'budget');
  else failRun(d, { code: 'BUDGET_EXCEEDED', message, retryable: false, details: { ...breach } });
}
