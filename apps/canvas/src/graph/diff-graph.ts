// Two versions of a graph drawn as one: the union of their nodes and edges, each marked with what
// changed (added, removed, changed), and the findings placed on the nodes they concern. A patch's
// page and the comparison of two workflow versions draw their diff with it.
import type { GraphDiff } from '@aob/client';
import { edgeKey } from '@aob/client';
import type { GraphEdge, GraphNode } from './RunGraph.js';

/** The parts of a workflow definition a diff draws. */
export interface Definition {
  nodes: { id: string; type: string }[];
  edges?: { from: string; to: string; on?: string; when?: string }[];
  output?: unknown;
}

/** The union of both graphs, each node and edge marked with what the patch does to it. */
export function diffGraph(
  before: Definition,
  after: Definition,
  diff: GraphDiff,
  problems: Map<string, string[]> = new Map(),
  /** Findings on the result's edges, by index (`/edges/3`). */
  edgeProblems: Map<number, string[]> = new Map(),
) {
  const added = new Set(diff.nodesAdded);
  const changed = new Set(diff.nodesChanged);
  const nodes: GraphNode[] = [
    ...after.nodes.map((n) => ({
      id: n.id,
      type: n.type,
      status: 'pending',
      attempts: 0,
      ...(added.has(n.id)
        ? { diff: 'added' as const }
        : changed.has(n.id)
          ? { diff: 'changed' as const }
          : { caption: '= unchanged' }),
      ...(problems.has(n.id) ? { problems: problems.get(n.id)! } : {}),
    })),
    ...before.nodes
      .filter((n) => diff.nodesRemoved.includes(n.id))
      .map((n) => ({
        id: n.id,
        type: n.type,
        status: 'pending',
        attempts: 0,
        diff: 'removed' as const,
      })),
  ];
  const edgesAdded = new Set(diff.edgesAdded);
  const edges: GraphEdge[] = [
    ...(after.edges ?? []).map((e, i) => ({
      from: e.from,
      to: e.to,
      ...(e.on ? { on: e.on } : {}),
      ...(edgeProblems.has(i) ? { problems: edgeProblems.get(i)! } : {}),
      ...(edgesAdded.has(edgeKey(e)) ? { diff: 'added' as const } : {}),
    })),
    ...(before.edges ?? [])
      .filter((e) => diff.edgesRemoved.includes(edgeKey(e)))
      .map((e) => ({
        from: e.from,
        to: e.to,
        ...(e.on ? { on: e.on } : {}),
        diff: 'removed' as const,
      })),
  ];
  return { nodes, edges };
}
