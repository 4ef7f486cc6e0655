// The past is fixed (ARCHITECTURE §4, IMMUTABLE_NODE). A node is frozen once its run state says it is
// anything but 'pending' (scheduled, running, retrying, waiting, succeeded, failed, skipped).
// For a frozen node F, a patch may not:
//   1. remove F or change anything in its definition (it may move to another index);
//   2. add, remove or change an edge INTO F (its inputs and its join count are decided);
//   3. remove or change an edge OUT OF F (its routing may already have been decided).
// A patch may add NEW edges out of F, but only to a node that is new or still pending — an edge
// from F to another frozen node is an edge into a frozen node (rule 2). Edges are compared by
// what they mean: `on` absent and `on: "success"` are the same edge; duplicates count.
import type { RunState } from '../run/state.js';
import type { DefView, Finding } from './findings.js';

/** Frozen node ids of `base` (those the run has started or finished), with their status. */
export function frozenNodes(base: DefView, state: RunState | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!state) return out;
  for (const id of base.nodes.keys()) {
    const s = Object.hasOwn(state.nodes, id) ? state.nodes[id] : undefined;
    if (s && s.status !== 'pending') out.set(id, s.status);
  }
  return out;
}

export function immutabilityFindings(
  base: DefView,
  doc: DefView,
  frozen: ReadonlyMap<string, string>,
): Finding[] {
  if (frozen.size === 0) return [];
  const out: Finding[] = [];
  const before = base.nodes;
  const after = doc.nodes;
  for (const [id, status] of frozen) {
    const was = before.get(id)!;
    const now = after.get(id);
    if (!now) {
      out.push({
        key: `node-removed:${id}`,
        code: 'IMMUTABLE_NODE',
        message: `node '${id}' has started (${status}) and may not be removed`,
        at: `/nodes`,
      });
    } else if (now.canonical !== was.canonical) {
      out.push({
        key: `node-changed:${id}`,
        code: 'IMMUTABLE_NODE',
        message: `node '${id}' has started (${status}) and may not be changed`,
        at: `/nodes/${now.index}`,
      });
    }
  }

  const isFrozen = (v: unknown): v is string => typeof v === 'string' && frozen.has(v);
  const baseEdges = base.edges;
  const docEdges = doc.edges;
  const count = (edges: typeof baseEdges): Map<string, number> => {
    const m = new Map<string, number>();
    for (const e of edges) m.set(e.key, (m.get(e.key) ?? 0) + 1);
    return m;
  };
  const baseCount = count(baseEdges);
  const docCount = count(docEdges);

  // Rules 2 and 3: an edge touching a frozen node that is gone (or changed, which is the same).
  const reported = new Set<string>();
  for (const e of baseEdges) {
    // An edge out of a frozen node to a node that has not started may go: nothing ran along it.
    if (!isFrozen(e.to)) continue;
    if (reported.has(e.key)) continue;
    const missing = (baseCount.get(e.key) ?? 0) - (docCount.get(e.key) ?? 0);
    if (missing <= 0) continue;
    reported.add(e.key);
    const who = e.to;
    out.push({
      key: `edge-removed:${e.key}`,
      code: 'IMMUTABLE_NODE',
      message: `the edge ${String(e.from)} → ${String(e.to)} may not be removed or changed: node '${who}' has started (${frozen.get(who)!})`,
      at: `/edges`,
    });
  }
  // Rule 2: a new edge into a frozen node.
  const seen = new Map<string, number>();
  for (const e of docEdges) {
    if (!isFrozen(e.to)) continue;
    const n = (seen.get(e.key) ?? 0) + 1;
    seen.set(e.key, n);
    if (n <= (baseCount.get(e.key) ?? 0)) continue;
    out.push({
      key: `edge-added:${e.key}:${n}`,
      code: 'IMMUTABLE_NODE',
      message: `an edge into node '${e.to}' may not be added: it has started (${frozen.get(e.to)!})`,
      at: `/edges/${e.index}`,
    });
  }
  return out;
}
