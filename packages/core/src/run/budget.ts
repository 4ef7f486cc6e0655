// A run's budget and its usage: the limits a run is held to, what it has spent, and whether a
// limit has been crossed. Pure arithmetic over values the log records (RunStarted's budget,
// NodeSucceeded's usage, NodeScheduled's count), so the fold and every reader agree.

/**
 * What happens when a limit is crossed: the run fails with BUDGET_EXCEEDED, is cancelled, or
 * pauses until someone raises the limit.
 */
export type BudgetPolicy = 'fail' | 'cancel' | 'pause';

/** The limits; an absent limit does not apply. */
export interface Budget {
  /** Prompt plus completion tokens of every llm and agent node. */
  tokens?: number;
  /** US dollars, priced by the runners' AOB_LLM_PRICES as the tokens were reported. */
  costUsd?: number;
  /** Milliseconds from the run's start. */
  wallMs?: number;
  /** Node executions: every attempt of every node and map item that was scheduled. */
  nodes?: number;
  /** Default `fail`. */
  onExceeded?: BudgetPolicy;
}

export type BudgetLimit = 'tokens' | 'costUsd' | 'wallMs' | 'nodes';

export const BUDGET_LIMITS: readonly BudgetLimit[] = ['tokens', 'costUsd', 'wallMs', 'nodes'];

/**
 * What one node attempt reported spending (an llm or agent node's output `usage`, priced; a failed
 * attempt's tokens up to its failure), or what a child run spent in all (a subworkflow node's).
 */
export interface NodeUsage {
  promptTokens: number;
  completionTokens: number;
  /** Absent when the runner has no price for the model. */
  costUsd?: number;
  /** A child run's node executions (a subworkflow node's usage): they count toward its parent's. */
  nodes?: number;
  /** A child run's attempts whose tokens had no price (a subworkflow node's usage). */
  unpriced?: number;
}

/**
 * What a run had left of its spending limits when a job was sent (`NodeJob.budgetLeft`): an llm
 * or agent attempt that spends more is stopped by its runner with BUDGET_EXCEEDED.
 */
export interface BudgetLeft {
  tokens?: number;
  costUsd?: number;
}

/** The run's spending so far, as the log says. Wall time is not here: it is `now - startedAt`. */
export interface RunUsage {
  promptTokens: number;
  completionTokens: number;
  tokens: number;
  costUsd: number;
  nodes: number;
  /** Attempts that reported tokens without a price (their cost is not in `costUsd`). */
  unpriced: number;
}

/** A limit crossed: the limit, its value, and the usage that crossed it. */
export interface BudgetBreach {
  limit: BudgetLimit;
  budget: number;
  used: number;
}

export function emptyUsage(): RunUsage {
  return { promptTokens: 0, completionTokens: 0, tokens: 0, costUsd: 0, nodes: 0, unpriced: 0 };
}

/** Adds one attempt's usage (or a child run's) to the run's (in place). */
export function addUsage(usage: RunUsage, add: NodeUsage): void {
  usage.promptTokens += add.promptTokens;
  usage.completionTokens += add.completionTokens;
  usage.tokens += add.promptTokens + add.completionTokens;
  if (add.costUsd !== undefined) usage.costUsd += add.costUsd;
  else if (add.promptTokens + add.completionTokens > 0) usage.unpriced += 1;
  if (add.nodes !== undefined) usage.nodes += add.nodes;
  if (add.unpriced !== undefined) usage.unpriced += add.unpriced;
}

/** The run's usage with one more attempt's (a copy; `usage` is left as it is). */
export function withUsage(usage: RunUsage, add: NodeUsage | undefined): RunUsage {
  const out = { ...usage };
  if (add) addUsage(out, add);
  return out;
}

/** A run's whole usage as a child run reports it to its parent (recorded on the parent's node). */
export function childUsage(usage: RunUsage): NodeUsage {
  return {
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    costUsd: usage.costUsd,
    nodes: usage.nodes,
    unpriced: usage.unpriced,
  };
}

/**
 * What is left of the run's token and dollar limits (never below 0), for a job that may spend;
 * undefined when neither limits the run.
 */
export function budgetLeft(budget: Budget | undefined, usage: RunUsage): BudgetLeft | undefined {
  if (budget?.tokens === undefined && budget?.costUsd === undefined) return undefined;
  const left: BudgetLeft = {};
  if (budget.tokens !== undefined) left.tokens = Math.max(0, budget.tokens - usage.tokens);
  if (budget.costUsd !== undefined)
    left.costUsd = Math.max(0, roundUsd(budget.costUsd - usage.costUsd));
  return left;
}

/**
 * The budget a child run inherits from its parent (a subworkflow node's): what the parent has
 * left of each limit — tokens, dollars and node executions as remaining amounts, wall time as the
 * parent's remaining time from `now` (at least 1 ms) — and the parent's policy. The child is held
 * to the tightest of this and its own definition's budget. Undefined when the parent has none.
 */
export function inheritedBudget(
  budget: Budget | undefined,
  usage: RunUsage,
  startedAt: number,
  now: number,
): Budget | undefined {
  if (!budget || !BUDGET_LIMITS.some((k) => budget[k] !== undefined)) return undefined;
  const out: Budget = { ...budgetLeft(budget, usage) };
  if (budget.wallMs !== undefined) out.wallMs = Math.max(1, startedAt + budget.wallMs - now);
  if (budget.nodes !== undefined) out.nodes = Math.max(0, budget.nodes - usage.nodes);
  out.onExceeded = budget.onExceeded ?? 'fail';
  return out;
}

/** Dollars rounded to a millionth of a cent, as the runners price them (sums stay readable). */
function roundUsd(usd: number): number {
  return Math.round(usd * 1e8) / 1e8;
}

/**
 * The budget that holds a run to every one given (the definition's, the run's own, the
 * namespace's): the smallest of each limit. The policy is the first one given, so a run's own
 * choice wins over its definition's and both over the namespace's. Undefined when none limits.
 */
export function tightest(...budgets: (Budget | undefined)[]): Budget | undefined {
  const out: Budget = {};
  for (const b of budgets) {
    if (!b) continue;
    for (const k of BUDGET_LIMITS) {
      const v = b[k];
      if (v !== undefined && (out[k] === undefined || v < out[k])) out[k] = v;
    }
    if (b.onExceeded !== undefined && out.onExceeded === undefined) out.onExceeded = b.onExceeded;
  }
  return BUDGET_LIMITS.some((k) => out[k] !== undefined) ? out : undefined;
}

/**
 * The spending limit the usage has crossed (more tokens or dollars than allowed), if any. Reaching
 * a limit exactly is within it: only the next spend crosses it.
 */
export function spendingBreach(
  budget: Budget | undefined,
  usage: RunUsage,
): BudgetBreach | undefined {
  if (budget?.tokens !== undefined && usage.tokens > budget.tokens)
    return { limit: 'tokens', budget: budget.tokens, used: usage.tokens };
  if (budget?.costUsd !== undefined && usage.costUsd > budget.costUsd)
    return { limit: 'costUsd', budget: budget.costUsd, used: usage.costUsd };
  return undefined;
}

/** The node limit one more execution would cross, if it would. */
export function executionBreach(
  budget: Budget | undefined,
  usage: RunUsage,
): BudgetBreach | undefined {
  if (budget?.nodes !== undefined && usage.nodes + 1 > budget.nodes)
    return { limit: 'nodes', budget: budget.nodes, used: usage.nodes + 1 };
  return undefined;
}
