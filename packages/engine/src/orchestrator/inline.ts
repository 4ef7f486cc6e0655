// Pure nodes, run by the orchestrator inside the decision that scheduled them (ARCHITECTURE §3,
// "Inline nodes"). A `transform`'s output is its `with.value`, evaluated by decide; a `join`'s is
// its input, gathered by decide. Sending either to a runner costs a bus round trip and two more
// decisions (its start, its result) for work already done. Run here, the node's start and result
// are decided at once on the same state and appended in the same write as the decision that
// scheduled it, so a chain of pure nodes costs one append.
//
// The log is the same as a runner's: NodeScheduled, NodeStarted (fidelity full), NodeSucceeded
// with the output's content reference, the output stored before the append. Replays, the canvas
// and recovery see no difference; a crash before the append loses the whole decision, which the
// trigger's redelivery makes again.
import type { Blob, Content, NodeJob, Trigger } from '@aob/core';
import { NodeType, serverLimits } from '@aob/core';
import { nativeContentOf } from '@aob/store';
import { withNodeSpan } from '../telemetry/trace.js';
import { recordAttempt } from '../telemetry/metrics.js';

/** What one pure job comes to: the triggers a runner's results would have brought, and the output. */
export interface InlineResult {
  triggers: Trigger[];
  output: Blob;
}

/**
 * The most pure jobs one decision runs inline. A longer stretch of pure nodes (a 10,000-node chain
 * of transforms, a map of 50,000 transform items) goes on through the runners from there, so one
 * run never holds its queue, or grows one append, without bound.
 */
export const MAX_INLINE_PER_DECISION = 1_000;

/** The output of a job the orchestrator can run itself, or undefined to send it to a runner. */
function pureOutput(job: NodeJob): { value: unknown } | undefined {
  switch (job.type) {
    case NodeType.transform:
      return { value: job.config['value'] ?? null };
    case NodeType.join:
      return { value: job.input ?? null };
    default:
      return undefined;
  }
}

/**
 * Runs `job` here when it is pure, under the same attempt span and metrics a runner records.
 * Undefined when it must go to a runner: not pure, or an output over the server's limit (the
 * runner fails it with OUTPUT_TOO_LARGE, naming the limit).
 */
export function runInline(job: NodeJob): Promise<InlineResult> | undefined {
  // Decided without a wait: every job a decision dispatches passes here.
  const pure = pureOutput(job);
  if (pure === undefined) return undefined;
  const content = nativeContentOf(pure.value);
  if (content.bytes.length > serverLimits().maxOutputBytes) return undefined;
  return recorded(job, content, pure.value);
}

/** The pure job's attempt, under the span and metrics a runner records, as a runner's results. */
async function recorded(job: NodeJob, content: Content, value: unknown): Promise<InlineResult> {
  const startedAt = performance.now();
  await withNodeSpan(job, () => Promise.resolve());
  recordAttempt(job, 'succeeded', startedAt, undefined, undefined);
  const unit = {
    nodeId: job.nodeId,
    attempt: job.attempt,
    ...(job.iteration !== undefined ? { iteration: job.iteration } : {}),
  };
  const triggers: Trigger[] = [];
  if (!job.quiet) triggers.push({ type: 'nodeStarted', ...unit });
  triggers.push({ type: 'nodeSucceeded', ...unit, output: content.ref });
  return { triggers, output: { ...content, value } };
}
