// What a patch changes in a workflow's graph: nodes added, removed and changed (by id, compared
// as JSON), edges added and removed (by from → to [port] when …), and whether the output moved.
// The server computes it for an applied patch; the canvas computes it to preview a held one.
import type { GraphDiff } from './views.js';

/** The parts of a workflow definition a diff reads. */
export interface DiffableGraph {
  nodes: readonly { id: string }[];
  edges?: readonly { from: string; to: string; on?: string; when?: string }[];
  output?: unknown;
}

/** An edge as the diff names it: `a → b`, `a → b [failure]`, `a → b when {% … %}`. */
export function edgeKey(e: { from: string; to: string; on?: string; when?: string }): string {
  return `${e.from} → ${e.to}${e.on && e.on !== 'success' ? ` [${e.on}]` : ''}${e.when ? ` when ${e.when}` : ''}`;
}

export function diffDefinitions(before: DiffableGraph, after: DiffableGraph): GraphDiff {
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
