import { AobError, toErrorData } from '@aob/core';
import { abortError, raceAbort, throwIfAborted } from './abort.js';
import { toJsonOutput } from './json-output.js';
import type { Executor, HandlerContext, TaskHandler } from './types.js';

/**
 * `task`: calls the registered handler named by `with.handler` with the node's input.
 *
 * Errors: 'BAD_CONFIG' / 'UNKNOWN_HANDLER' (non-retryable); anything the handler throws keeps its
 * own code and is retryable unless the thrown object says `retryable: false`; 'BAD_OUTPUT' when
 * the result is not JSON; 'CANCELLED' / 'TIMEOUT' when `ctx.signal` aborts, even if the handler
 * ignores the signal (we stop waiting for it).
 */
export const taskExecutor: Executor = async (job, ctx) => {
  throwIfAborted(ctx.signal);
  const name = job.config['handler'];
  if (typeof name !== 'string' || name === '') {
    throw new AobError(
      'BAD_CONFIG',
      `task node ${job.nodeId}: with.handler must be a non-empty string`,
    );
  }
  const handler = findHandler(ctx.options.handlers, name);
  if (!handler) {
    const available = Object.keys(ctx.options.handlers).sort();
    throw new AobError(
      'UNKNOWN_HANDLER',
      `task node ${job.nodeId}: no handler named "${name}"; available: ` +
        (available.length ? available.join(', ') : '(none registered)'),
      { retryable: false, details: { handler: name, available } },
    );
  }

  const handlerCtx: HandlerContext = {
    runId: ctx.runId,
    nodeId: ctx.nodeId,
    attempt: ctx.attempt,
    idempotencyKey: ctx.idempotencyKey,
    signal: ctx.signal,
    log: ctx.log,
  };
  if (ctx.iteration !== undefined) handlerCtx.iteration = ctx.iteration;

  let result: unknown;
  try {
    // The call sits inside a promise chain so a synchronous throw is handled like a rejection.
    result = await raceAbort(
      Promise.resolve().then(() => handler(job.input, handlerCtx)),
      ctx.signal,
    );
  } catch (err) {
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    const data = toErrorData(err);
    throw AobError.fromData(data);
  }
  return toJsonOutput(result);
};

/** Own properties only: a handler name like "constructor" or "__proto__" must not reach Object.prototype. */
function findHandler(
  handlers: Readonly<Record<string, TaskHandler>>,
  name: string,
): TaskHandler | undefined {
  if (!Object.hasOwn(handlers, name)) return undefined;
  const handler = handlers[name];
  return typeof handler === 'function' ? handler : undefined;
}
