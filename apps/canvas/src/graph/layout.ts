// Left-to-right layout of a workflow graph with ELK's layered algorithm: deterministic (the same
// graph gives the same positions) and without overlapping boxes. ELK is large (about 1.4 MB), so
// it is loaded on demand, the first time a graph is drawn: the first page stays light.
import type { ELK as Elk } from 'elkjs/lib/elk-api.js';

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 84;

export interface GraphShape {
  nodes: { id: string }[];
  edges: { id: string; from: string; to: string }[];
}

let elk: Promise<Elk> | undefined;

function loadElk(): Promise<Elk> {
  elk ??= import('elkjs/lib/elk.bundled.js').then((m) => new m.default());
  return elk;
}

export async function layout(g: GraphShape): Promise<Map<string, { x: number; y: number }>> {
  const result = await (
    await loadElk()
  ).layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '64',
      'elk.spacing.nodeNode': '32',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
    },
    children: g.nodes.map((n) => ({ id: n.id, width: NODE_WIDTH, height: NODE_HEIGHT })),
    edges: g.edges.map((e) => ({ id: e.id, sources: [e.from], targets: [e.to] })),
  });
  const out = new Map<string, { x: number; y: number }>();
  for (const c of result.children ?? []) out.set(c.id, { x: c.x ?? 0, y: c.y ?? 0 });
  return out;
}
