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

/** What one node attempt reported spending (an llm or agent node's output `usage`, priced). */
export interface NodeUsage {
  promptTokens: number;
  completionTokens: number;
  /** Absent when the runner has no price for the model. */
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

/** Adds one attempt's usage to the run's (in place). */
export function addUsage(usage: RunUsage, add: NodeUsage): void {
  usage.promptTokens += add.promptTokens;
  usage.completionTokens += add.completionTokens;
  usage.tokens += add.promptTokens + add.completionTokens;
  if (add.costUsd !== undefined) usage.costUsd += add.costUsd;
  else if (add.promptTokens + add.completionTokens > 0) usage.unpriced += 1;
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
