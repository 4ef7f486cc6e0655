// One attempt of a node job, as every runner executes it — a cluster runner (runner.ts) and a
// runner outside the cluster (outside-runner.ts) alike: the executor under the job's timeout, the
// output bounded by the server's limit and written to the content store, the tokens it spent
// priced by the runner's settings. A thrown error is the attempt's failure.
import type { CasRef, NodeJob, NodeUsage } from '@aob/core';
import { AobError, serverLimits } from '@aob/core';
import type { ContentStore } from '@aob/store';
import { nativeContentOf } from '@aob/store';
import { executorFor, runExecutor } from '../executors/registry.js';
import type { ExecutorOptions, NodeLogger } from '../executors/types.js';
import { AttemptSpending, usageOf } from './usage.js';
import type { Context } from '@opentelemetry/api';
import { contextOf, withNodeSpan } from '../telemetry/trace.js';
import { recordAttempt } from '../telemetry/metrics.js';
import { isNodeSuspension } from '../executors/suspension.js';

export interface JobContext {
  options: ExecutorOptions;
  /** Where the output (and what executors store, e.g. an agent's transcript) goes. */
  content: ContentStore;
  /** Aborts the attempt (a cancellation, a stopping runner); the job's timeout is armed on it. */
  ctl: AbortController;
  log: NodeLogger;
  /** An executor's partial output (token deltas), for live display only. */
  stream?: (delta: string) => void;
  /**
   * Where the attempt's model calls are summed as they are made (`ExecutorContext.spend`): the
   * caller reads `usage` from it when the attempt fails. One is made when none is given.
   */
  spending?: AttemptSpending;
  /** The trace context the job came in (the runner's `process` span); else the job's own. */
  trace?: Context;
}

export interface JobOutput {
  value: unknown;
  ref: CasRef;
  /** The output's canonical JSON size. */
  bytes: number;
  usage?: NodeUsage;
}

export async function executeJob(job: NodeJob, ctx: JobContext): Promise<JobOutput> {
  const spending = ctx.spending ?? new AttemptSpending(job, ctx.options.llm?.prices);
  const startedAt = performance.now();
  try {
    // The attempt's span is the parent of an executor's own spans.
    const out = await withNodeSpan(
      job,
      (attempt) => execute(job, ctx, spending, attempt),
      ctx.trace ?? contextOf(job.traceparent),
    );
    recordAttempt(
      job,
      'succeeded',
      startedAt,
      out.usage,
      (out.value as { model?: unknown })?.model,
    );
    return out;
  } catch (err) {
    // Its duration, and what it spent before it failed or asked a person (reported with it too).
    const outcome = isNodeSuspension(err)
      ? 'suspended'
      : (err as { code?: unknown }).code === 'CANCELLED'
        ? 'cancelled'
        : 'failed';
    recordAttempt(job, outcome, startedAt, spending.usage, undefined);
    throw err;
  }
}

async function execute(
  job: NodeJob,
  ctx: JobContext,
  spending: AttemptSpending,
  attempt: Context,
): Promise<JobOutput> {
  const value = await runExecutor(
    job,
    {
      runId: job.runId,
      nodeId: job.nodeId,
      attempt: job.attempt,
      ...(job.iteration !== undefined ? { iteration: job.iteration } : {}),
      idempotencyKey: job.idempotencyKey,
      signal: ctx.ctl.signal,
      log: ctx.log,
      options: ctx.options,
      content: ctx.content,
      ...(ctx.stream ? { stream: ctx.stream } : {}),
      spend: (call) => spending.add(call),
      trace: attempt,
    },
    executorFor(job.type),
    ctx.ctl,
  );
  const content = nativeContentOf(value);
  const { ref, bytes } = content;
  const maxBytes = serverLimits().maxOutputBytes;
  if (bytes.length > maxBytes) {
    throw new AobError(
      'OUTPUT_TOO_LARGE',
      `node ${job.nodeId}: its output takes ${bytes.length} bytes; the limit is ${maxBytes} (AOB_LIMIT_OUTPUT_BYTES)`,
      { retryable: false },
    );
  }
  await ctx.content.put(value, content);
  const usage = usageOf(job, value, ctx.options.llm?.prices);
  return { value, ref, bytes: bytes.length, ...(usage ? { usage } : {}) };
}
