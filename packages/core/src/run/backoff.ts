import type { RetryPolicy } from '../definition/types.js';

/**
 * Delay before attempt `attempt + 1` after attempt `attempt` failed: exponential from `initialMs`,
 * capped at `maxMs`, then reduced by up to `jitter` of itself using `random` in [0, 1), which the
 * shell draws and the resulting delay is recorded in the log, so replays never redraw it.
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: number): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.multiplier ** (attempt - 1));
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0));
  return Math.round(base * (1 - jitter * random));
}
