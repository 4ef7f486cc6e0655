// An attempt that stopped to ask a person, as a runner reports it: the executor's NodeSuspension
// (executors/suspension.ts) becomes the `suspended` NodeResult — the question, the saved state's
// reference, what the job spent before it stopped (priced like a finished attempt's tokens) and
// the question it had resumed from, if any (the core ignores a stale duplicate by it).
import type { NodeJob, NodeResult } from '@aob/core';
import type { AttemptKey } from '@aob/store';
import type { ModelPrice } from '../executors/types.js';
import { isNodeSuspension } from '../executors/suspension.js';
import { usageOf } from './usage.js';

type Base = { runId: string; nodeId: string; attempt: number; iteration?: number };

type Suspended = Extract<NodeResult, { kind: 'suspended' }>;

/** The `suspended` result of a job whose executor threw a NodeSuspension; undefined otherwise. */
export function suspendedResultOf(
  err: unknown,
  job: NodeJob,
  base: Base,
  prices: Readonly<Record<string, ModelPrice>> | undefined,
): Suspended | undefined {
  const said = suspensionReportOf(err, job, prices);
  return said && { ...base, ...said };
}

/**
 * What a suspended attempt says, without naming the attempt: a runner outside the cluster reports
 * this much under its lease, which names the attempt.
 */
export function suspensionReportOf(
  err: unknown,
  job: NodeJob,
  prices: Readonly<Record<string, ModelPrice>> | undefined,
): Omit<Suspended, keyof Base> | undefined {
  if (!isNodeSuspension(err)) return undefined;
  const usage = usageOf(job, { usage: err.usage, model: err.model }, prices);
  return {
    kind: 'suspended',
    question: err.question,
    state: err.state,
    ...(usage ? { usage } : {}),
    ...(job.resume ? { resumedFrom: job.resume.questionId } : {}),
  };
}

/**
 * The job's entry in the attempt ledger: its attempt, and for a resumed agent job the question
 * it goes on from — the same attempt runs once per answer, and the `suspended` outcome recorded
 * before an answer must not answer the job sent after it.
 */
export function attemptKeyOf(job: NodeJob): AttemptKey {
  return {
    runId: job.runId,
    nodeId: job.nodeId,
    attempt: job.attempt,
    ...(job.iteration !== undefined ? { iteration: job.iteration } : {}),
    ...(job.resume ? { resume: job.resume.questionId } : {}),
  };
}
