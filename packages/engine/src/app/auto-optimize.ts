// The optimizer as the engine sees it (AOB_OPTIMIZE_ON; the passes are @aob/optimizer's, which the
// composition root — the CLI's local engine — builds this from): something that, given a
// definition (and a running run's state), answers the proposals its passes made that the validator
// and patch policy would apply, in order. RunControl then proposes each as an ordinary patch,
// authored `optimizer:<pass>`, so it is judged again, recorded (a workflow patch, or PatchApplied
// in the run's log), diffable and revertible like any other.
import type { RunState, WorkflowDefinition } from '@aob/core';

export interface OptimizerProposal {
  /** `optimizer:<pass>`. */
  author: string;
  rationale: string;
  ops: unknown[];
}

export interface AutoOptimizer {
  /** `register`: each newly registered workflow version; `run`: each run as it starts. */
  on: 'register' | 'run';
  propose(
    definition: WorkflowDefinition,
    run?: { runId: string; state: RunState },
  ): Promise<OptimizerProposal[]>;
}
