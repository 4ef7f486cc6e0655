// Where a node job goes (ARCHITECTURE §7). A job is published on its priority's job topic for the
// cluster's runners, unless its node asks for a runner outside the cluster (an agent node's
// `with.runsOn: <label>`): then it is queued in the runner queue (RunnerJobStore), which such
// runners reach through the API (`aob agent-runner`), never through the bus or the database.
// Both travel in the outbox with the decision's events, so neither is lost.
import type { NodeJob } from '@aob/core';
import { NodeType, jobTopic } from '@aob/core';
import type { RunnerJobEntry } from '@aob/store';

/** Outbox rows of this topic are jobs for the runner queue (RunnerJobStore), not bus messages. */
export const RUNNER_JOB_OUTBOX_TOPIC = 'aob.internal.runner-jobs';

/** The runner label a job asks for (an agent node's `with.runsOn`), if it asks for one. */
export function runsOnOf(job: NodeJob): string | undefined {
  if (job.type !== NodeType.agent) return undefined;
  const label = job.config.runsOn;
  return typeof label === 'string' && label !== '' ? label : undefined;
}

/** The outbox topic of a job: the runner queue's, or its priority's job topic. */
export function jobOutboxTopic(job: NodeJob): string {
  return runsOnOf(job) === undefined ? jobTopic(job.priority) : RUNNER_JOB_OUTBOX_TOPIC;
}

const PRIORITY_ORDER = { high: 0, medium: 1, low: 2 } as const;

/**
 * The runner-queue entry of a job that asks for a label: one per attempt of a node (or item), and
 * one per answer an agent's attempt goes on from (a resumed job is the same attempt, run again).
 */
export function runnerJobEntry(job: NodeJob): RunnerJobEntry {
  const label = runsOnOf(job);
  if (label === undefined) throw new TypeError(`job ${job.runId}/${job.nodeId} has no runsOn`);
  return {
    key: `${job.runId}/${job.nodeId}/${job.iteration ?? ''}/${job.attempt}${job.resume ? `~${job.resume.questionId}` : ''}`,
    runId: job.runId,
    label,
    priority: PRIORITY_ORDER[job.priority],
    job,
  };
}
