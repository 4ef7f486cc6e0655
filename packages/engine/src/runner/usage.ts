// What a finished llm or agent attempt spent, as the runner reports it with the result: the
// tokens from the output's `usage`, priced by AOB_LLM_PRICES. Priced here, once, as the tokens
// are reported, so the log records the cost charged then and a later price change alters no
// run's history.
import type { NodeJob, NodeUsage } from '@aob/core';
import type { ModelPrice } from '../executors/types.js';

const SPENDING_TYPES: ReadonlySet<string> = new Set(['llm', 'agent']);

/**
 * The usage in an llm or agent node's output (`usage: {promptTokens, completionTokens}`), with its
 * cost in US dollars when `prices` has the model: the definition's alias (`with.model`) first,
 * then the provider's model id the output names. Undefined for other types or no usage.
 */
export function usageOf(
  job: Pick<NodeJob, 'type' | 'config'>,
  output: unknown,
  prices: Readonly<Record<string, ModelPrice>> | undefined,
): NodeUsage | undefined {
  if (!SPENDING_TYPES.has(job.type) || output === null || typeof output !== 'object')
    return undefined;
  const o = output as { usage?: unknown; model?: unknown };
  const u = o.usage as { promptTokens?: unknown; completionTokens?: unknown } | null | undefined;
  if (!u || !isCount(u.promptTokens) || !isCount(u.completionTokens)) return undefined;
  const usage: NodeUsage = { promptTokens: u.promptTokens, completionTokens: u.completionTokens };
  const price = priceOf(prices, [job.config.model, o.model]);
  if (price) {
    // Rounded to a millionth of a cent: sums of many small costs stay readable and exact enough.
    const cost = (u.promptTokens * price.input + u.completionTokens * price.output) / 1e6;
    usage.costUsd = Math.round(cost * 1e8) / 1e8;
  }
  return usage;
}

function priceOf(
  prices: Readonly<Record<string, ModelPrice>> | undefined,
  names: unknown[],
): ModelPrice | undefined {
  if (!prices) return undefined;
  for (const name of names) {
    if (typeof name === 'string' && Object.hasOwn(prices, name)) return prices[name];
  }
  return undefined;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** One model call's tokens, as an llm or agent executor reports it (`ExecutorContext.spend`). */
export interface ModelCallUsage {
  promptTokens: number;
  completionTokens: number;
  /** The model the provider says answered (prices fall back to it after the node's alias). */
  model?: string;
}

/**
 * What one llm or agent attempt spends, call by call. The executor reports each model call's
 * tokens as soon as they are known (`ExecutorContext.spend`); the runner reports the sum with a
 * failed result (priced as `usageOf` prices a finished attempt's), and `add` answers whether the
 * attempt has now spent more than its run had left when the job was sent (`job.budgetLeft`):
 * the executor then stops it with BUDGET_EXCEEDED.
 */
export class AttemptSpending {
  private promptTokens = 0;
  private completionTokens = 0;
  private calls = 0;
  private model: string | undefined;

  constructor(
    private readonly job: Pick<NodeJob, 'type' | 'config' | 'budgetLeft'>,
    private readonly prices: Readonly<Record<string, ModelPrice>> | undefined,
  ) {}

  /** Records one model call; true when the attempt is now over what its run had left. */
  add(call: ModelCallUsage): boolean {
    if (isCount(call.promptTokens)) this.promptTokens += call.promptTokens;
    if (isCount(call.completionTokens)) this.completionTokens += call.completionTokens;
    if (call.model !== undefined) this.model = call.model;
    this.calls += 1;
    return this.over();
  }

  /** What the attempt spent so far, priced; undefined before any model call reported tokens. */
  get usage(): NodeUsage | undefined {
    if (this.calls === 0) return undefined;
    const usage = { promptTokens: this.promptTokens, completionTokens: this.completionTokens };
    return usageOf(this.job, { usage, model: this.model }, this.prices);
  }

  /** Whether the attempt has spent more tokens, or dollars, than its run had left. */
  over(): boolean {
    const left = this.job.budgetLeft;
    if (!left || this.calls === 0) return false;
    if (left.tokens !== undefined && this.promptTokens + this.completionTokens > left.tokens)
      return true;
    const cost = this.usage?.costUsd;
    return left.costUsd !== undefined && cost !== undefined && cost > left.costUsd;
  }
}
