import type { IR } from '../ir/types.js';

const cache = new WeakMap<IR, Map<string, ReadonlySet<string>>>();

/** The node and every node reachable from it along edges (memoised per IR). */
export function descendantsOf(ir: IR, nodeId: string): ReadonlySet<string> {
  let perIr = cache.get(ir);
  if (!perIr) {
    perIr = new Map();
    cache.set(ir, perIr);
  }
  const hit = perIr.get(nodeId);
  if (hit) return hit;
  const out = new Set<string>();
  const start = ir.byId.get(nodeId);
  if (start !== undefined) {
    const stack = [start];
    while (stack.length > 0) {
      const i = stack.pop()!;
      const id = ir.nodes[i]!.id;
      if (out.has(id)) continue;
      out.add(id);
      for (const e of ir.out[i] ?? []) stack.push(ir.edges[e]!.to);
    }
  }
  perIr.set(nodeId, out);
  return out;
}
