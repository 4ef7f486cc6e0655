// A node job as an orchestrator would dispatch it, for runner tests: a `task` of handler `work`
// on node `n`, first attempt, with whatever the test overrides.
import type { NodeJob } from '@aob/core';

export function nodeJob(runId: string, over: Partial<NodeJob> = {}): NodeJob {
  return {
    runId,
    nodeId: 'n',
    attempt: 1,
    irHash: 'sha256:ir',
    type: 'task',
    config: { handler: 'work' },
    input: { x: 1 },
    inputRef: { $cas: 'sha256:in', size: 7 },
    timeoutMs: 10_000,
    priority: 'medium',
    idempotencyKey: `${runId}/n`,
    ...over,
  };
}
