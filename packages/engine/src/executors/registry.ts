import { AobError, NodeType, toErrorData } from '@aob/core';
import { redactError, secretsOf } from './redact.js';
import type { NodeJob } from '@aob/core';
import { linkSignal, raceAbort, throwIfAborted } from './abort.js';
import { agentExecutor } from './agent/executor.js';
import { codeExecutor } from './code.js';
import { fsExecutor } from './fs.js';
import { httpExecutor } from './http.js';
import { joinExecutor } from './join.js';
import { llmExecutor } from './llm.js';
import { searchExecutor } from './search.js';
import { taskExecutor } from './task.js';
import { transformExecutor } from './transform.js';
import { isNodeSuspension } from './suspension.js';
import type { Executor, ExecutorContext } from './types.js';

/**
 * Node types that run as jobs on a runner. map, subworkflow, approval and timer are driven by the
 * orchestrator itself and never reach an executor.
 */
const EXECUTORS: Partial<Record<NodeType, Executor>> = {
  [NodeType.task]: taskExecutor,
  [NodeType.http]: httpExecutor,
  [NodeType.transform]: transformExecutor,
  [NodeType.join]: joinExecutor,
  [NodeType.llm]: llmExecutor,
  [NodeType.fs]: fsExecutor,
  [NodeType.search]: searchExecutor,
  [NodeType.code]: codeExecutor,
  [NodeType.agent]: agentExecutor,
};

export function executorFor(type: NodeType): Executor {
  const executor = Object.hasOwn(EXECUTORS, type) ? EXECUTORS[type] : undefined;
  if (executor === undefined) {
    throw new AobError('UNSUPPORTED_NODE_TYPE', `no executor for node type "${type}"`, {
      retryable: false,
      details: { type, supported: Object.keys(EXECUTORS) },
    });
  }
  return executor;
}

/**
 * Runs one attempt of `job` under its timeout. The executor sees a signal that aborts when
 * `ctx.signal` does (same reason) or after `job.timeoutMs` with a retryable 'TIMEOUT'; the result
 * is raced against that signal, so an executor that ignores it still cannot outlive its timeout.
 * The timer is always cleared. Anything thrown comes out as an AobError, scrubbed of the
 * executors' secrets.
 */
export async function runExecutor(
  job: NodeJob,
  ctx: ExecutorContext,
  executor: Executor = executorFor(job.type),
  /**
   * The controller behind `ctx.signal`, when the caller made one for this attempt alone: the
   * timeout is armed on it instead of on a second, linked controller (cheaper per job).
   */
  owned?: AbortController,
): Promise<unknown> {
  throwIfAborted(ctx.signal);
  const { signal, dispose } = linkSignal(
    ctx.signal,
    job.timeoutMs,
    () =>
      new AobError('TIMEOUT', `node ${job.nodeId} timed out after ${job.timeoutMs} ms`, {
        retryable: true,
      }),
    owned,
  );
  try {
    // Wrapped so a synchronous throw from the executor is raced like a rejection.
    return await raceAbort(
      Promise.resolve().then(() => executor(job, { ...ctx, signal })),
      signal,
    );
  } catch (err) {
    // Not a failure: the attempt waits for a person (reported as `suspended`, executors/suspension.ts).
    if (isNodeSuspension(err)) throw err;
    const secrets = secretsOf(ctx.options);
    if (err instanceof AobError) throw redactError(err, secrets);
    const data = toErrorData(err, 'EXECUTOR_ERROR');
    throw redactError(AobError.fromData(data), secrets);
  } finally {
    dispose();
  }
}
