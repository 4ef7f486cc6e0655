import { throwIfAborted } from './abort.js';
import type { Executor } from './types.js';

/**
 * `join`: the output is the node's input, the `{ <predecessorId>: output }` object of the
 * predecessors that were taken. Which predecessors must finish (`all` | `any` | `n`) is decided by
 * the orchestrator before the job is dispatched.
 */
export const joinExecutor: Executor = async (job, ctx) => {
  throwIfAborted(ctx.signal);
  return job.input ?? null;
};
