import { throwIfAborted } from './abort.js';
import type { Executor } from './types.js';

/** `transform`: the output is `with.value`, which the orchestrator has already evaluated. */
export const transformExecutor: Executor = async (job, ctx) => {
  throwIfAborted(ctx.signal);
  return job.config['value'] ?? null;
};
