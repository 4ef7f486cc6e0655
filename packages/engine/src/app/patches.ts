import type { GraphDiff, PatchView } from '@aob/client';
import type { AnyRunEvent, RunState } from '@aob/core';

export type { GraphDiff, PatchView };

/** Every patch proposed to a run, from its folded state and its log. */
export function patchesOf(state: RunState, events: readonly AnyRunEvent[]): PatchView[] {
  return state.patches.map((p) => {
    const proposed = events.find((e) => e.type === 'PatchProposed' && e.data.patchId === p.patchId);
    const doc = (proposed?.type === 'PatchProposed' ? proposed.data.patch : {}) as {
      rationale?: unknown;
    };
    const view: PatchView = {
      patchId: p.patchId,
      scope: 'run',
      target: state.runId,
      runId: state.runId,
      status: p.status,
      author: p.author,
      ops: p.ops,
      violations: p.violations ?? [],
      baseIrHash: proposed?.irHash ?? '',
      added: p.added ?? [],
      proposedAt: proposed?.at ?? 0,
    };
    if (typeof doc.rationale === 'string') view.rationale = doc.rationale;
    if (p.irHash) view.irHash = p.irHash;
    if (p.reasons) view.reasons = p.reasons;
    if (p.reviewers) view.reviewers = p.reviewers;
    if (p.reviewedBy !== undefined) view.reviewedBy = p.reviewedBy;
    if (p.reason !== undefined) view.reason = p.reason;
    return view;
  });
}
