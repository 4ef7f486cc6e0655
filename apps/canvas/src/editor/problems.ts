// Where each of the validator's findings belongs: its path (`/nodes/2/with/url`, `/edges/3`)
// names a node or an edge by index; anything else concerns the workflow as a whole.
import type { EditorDefinition } from './definition.js';

export interface PlacedProblems {
  /** By node id: `CODE: message` lines. */
  nodes: Map<string, string[]>;
  /** By edge index. */
  edges: Map<number, string[]>;
  /** Findings about the workflow itself (name, version, inputs, output, …). */
  workflow: string[];
  /** How many findings in all. */
  count: number;
}

export function placeProblems(
  def: EditorDefinition,
  problems: readonly { code: string; path: string; message: string }[],
): PlacedProblems {
  const placed: PlacedProblems = { nodes: new Map(), edges: new Map(), workflow: [], count: 0 };
  for (const p of problems) {
    const line = `${p.code}: ${p.message}`;
    placed.count++;
    const node = /^\/nodes\/(\d+)(?:\/|$)/.exec(p.path);
    const edge = /^\/edges\/(\d+)(?:\/|$)/.exec(p.path);
    const id = node ? def.nodes[Number(node[1])]?.id : undefined;
    if (id !== undefined) {
      placed.nodes.set(id, [...(placed.nodes.get(id) ?? []), line]);
    } else if (edge && Number(edge[1]) < def.edges.length) {
      const i = Number(edge[1]);
      placed.edges.set(i, [...(placed.edges.get(i) ?? []), line]);
    } else {
      placed.workflow.push(p.path ? `${line} (at ${p.path})` : line);
    }
  }
  return placed;
}
