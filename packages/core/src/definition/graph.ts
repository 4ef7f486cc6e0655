// The graph of a definition, read defensively (the rules run even when the schema check failed, so
// that one pass reports every problem), and the graph algorithms compile() shares.

/** A node as far as it can be read: id and type are undefined when they are not strings. */
export interface GraphNode {
  index: number;
  id: string | undefined;
  type: string | undefined;
  raw: Record<string, unknown>;
}

/** An edge as far as it can be read; `fromIndex`/`toIndex` are set when the ids are known. */
export interface GraphEdge {
  index: number;
  from: string | undefined;
  to: string | undefined;
  on: string | undefined;
  raw: Record<string, unknown>;
  fromIndex: number | undefined;
  toIndex: number | undefined;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** First node with each id. */
  byId: Map<string, number>;
  /** Predecessor node indices, by node index (edges to or from unknown nodes are left out). */
  preds: number[][];
  /** Successor node indices, by node index. */
  succs: number[][];
}

const asRecord = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function readGraph(doc: unknown): Graph {
  const d = asRecord(doc);
  const rawNodes = Array.isArray(d['nodes']) ? (d['nodes'] as unknown[]) : [];
  const rawEdges = Array.isArray(d['edges']) ? (d['edges'] as unknown[]) : [];
  const nodes = rawNodes.map((n, index): GraphNode => {
    const raw = asRecord(n);
    return { index, id: asString(raw['id']), type: asString(raw['type']), raw };
  });
  const byId = new Map<string, number>();
  for (const n of nodes) if (n.id !== undefined && !byId.has(n.id)) byId.set(n.id, n.index);
  const preds: number[][] = nodes.map(() => []);
  const succs: number[][] = nodes.map(() => []);
  const edges = rawEdges.map((e, index): GraphEdge => {
    const raw = asRecord(e);
    const from = asString(raw['from']);
    const to = asString(raw['to']);
    const fromIndex = from === undefined ? undefined : byId.get(from);
    const toIndex = to === undefined ? undefined : byId.get(to);
    if (fromIndex !== undefined && toIndex !== undefined) {
      succs[fromIndex]!.push(toIndex);
      preds[toIndex]!.push(fromIndex);
    }
    return { index, from, to, on: asString(raw['on']), raw, fromIndex, toIndex };
  });
  return { nodes, edges, byId, preds, succs };
}

/** The nodes from which `start` can be reached (not including `start` unless on a cycle). */
export function ancestors(preds: readonly (readonly number[])[], start: number): Set<number> {
  const seen = new Set<number>();
  const stack = [...(preds[start] ?? [])];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const p of preds[n] ?? []) if (!seen.has(p)) stack.push(p);
  }
  return seen;
}

/**
 * Kahn's algorithm; among ready nodes the one defined first goes first, so the order is
 * deterministic. Returns undefined when the graph has a cycle.
 */
export function topoOrder(succs: readonly (readonly number[])[]): number[] | undefined {
  const n = succs.length;
  const indegree = new Array<number>(n).fill(0);
  for (const list of succs) for (const t of list) indegree[t]!++;
  // A binary min-heap of ready node indices.
  const heap: number[] = [];
  const push = (v: number): void => {
    heap.push(v);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= v) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = v;
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let mv = last;
        if (l < heap.length && heap[l]! < mv) {
          m = l;
          mv = heap[l]!;
        }
        if (r < heap.length && heap[r]! < mv) {
          m = r;
          mv = heap[r]!;
        }
        if (m === i) break;
        heap[i] = mv;
        i = m;
      }
      heap[i] = last;
    }
    return top;
  };
  for (let i = 0; i < n; i++) if (indegree[i] === 0) push(i);
  const order: number[] = [];
  while (heap.length > 0) {
    const v = pop();
    order.push(v);
    for (const t of succs[v]!) if (--indegree[t]! === 0) push(t);
  }
  return order.length === n ? order : undefined;
}

/**
 * The cycles of the graph, one per strongly connected component that has one (Tarjan), each as
 * the node indices along the cycle starting from its first-defined node.
 */
export function findCycles(succs: readonly (readonly number[])[]): number[][] {
  const n = succs.length;
  const index = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  // Iterative Tarjan: frames of (node, next successor position).
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const frames: [number, number][] = [[root, 0]];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = true;
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const [v, i] = frame;
      const next = succs[v]![i];
      if (next !== undefined) {
        frame[1]++;
        if (index[next] === -1) {
          index[next] = low[next] = counter++;
          stack.push(next);
          onStack[next] = true;
          frames.push([next, 0]);
        } else if (onStack[next]) {
          low[v] = Math.min(low[v]!, index[next]!);
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]]!, low[v]!);
      if (low[v] === index[v]) {
        const comp: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = false;
          comp.push(w);
        } while (w !== v);
        if (comp.length > 1 || succs[v]!.includes(v)) components.push(comp);
      }
    }
  }
  return components.map((comp) => cycleWithin(succs, new Set(comp))).sort((a, b) => a[0]! - b[0]!);
}

// A shortest cycle through the component's first-defined node, by breadth-first search.
function cycleWithin(succs: readonly (readonly number[])[], comp: Set<number>): number[] {
  const start = Math.min(...comp);
  const parent = new Map<number, number>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const t of succs[v]!) {
      if (!comp.has(t)) continue;
      if (t === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(parent.get(path[0]!)!);
        return path;
      }
      if (!parent.has(t)) {
        parent.set(t, v);
        queue.push(t);
      }
    }
  }
  return [start];
}
