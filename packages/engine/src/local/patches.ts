import type { AnyRunEvent, Problem, RunState, WorkflowDefinition } from '@aob/core';

/** A patch of either scope, as `aob patch show --json` prints it. */
export interface PatchView {
  patchId: string;
  scope: 'run' | 'workflow';
  /** The run id (scope run) or the workflow `name@version` it was proposed against. */
  target: string;
  /** Scope run: the run. */
  runId?: string;
  /** Scope workflow: the version it registered (applied, reverted) — e.g. `3.p1`. */
  version?: string;
  status: 'proposed' | 'held' | 'applied' | 'rejected' | 'reverted';
  author: string;
  rationale?: string;
  ops: unknown[];
  violations: Problem[];
  /** The IR the patch was proposed on, and (applied) the IR it produced. */
  baseIrHash: string;
  irHash?: string;
  added: string[];
  proposedAt: number;
  /** Held: why a person must decide, and who may. */
  reasons?: Problem[];
  reviewers?: string[];
  /** The reviewer who approved or rejected it (or reverted it, scope workflow), and why. */
  reviewedBy?: string;
  reason?: string;
}

/** What an applied patch changed in the graph. */
export interface GraphDiff {
  nodesAdded: string[];
  nodesRemoved: string[];
  nodesChanged: string[];
  edgesAdded: string[];
  edgesRemoved: string[];
  outputChanged: boolean;
}

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

const edgeKey = (e: { from: string; to: string; on?: string; when?: string }) =>
  `${e.from} → ${e.to}${e.on && e.on !== 'success' ? ` [${e.on}]` : ''}${e.when ? ` when ${e.when}` : ''}`;

export function diffDefinitions(before: WorkflowDefinition, after: WorkflowDefinition): GraphDiff {
  const was = new Map(before.nodes.map((n) => [n.id, JSON.stringify(n)]));
  const now = new Map(after.nodes.map((n) => [n.id, JSON.stringify(n)]));
  const edgesBefore = new Set((before.edges ?? []).map(edgeKey));
  const edgesAfter = new Set((after.edges ?? []).map(edgeKey));
  return {
    nodesAdded: [...now.keys()].filter((id) => !was.has(id)),
    nodesRemoved: [...was.keys()].filter((id) => !now.has(id)),
    nodesChanged: [...now.keys()].filter((id) => was.has(id) && was.get(id) !== now.get(id)),
    edgesAdded: [...edgesAfter].filter((e) => !edgesBefore.has(e)),
    edgesRemoved: [...edgesBefore].filter((e) => !edgesAfter.has(e)),
    outputChanged: JSON.stringify(before.output) !== JSON.stringify(after.output),
  };
}
