// dedupe: common-subexpression elimination. Two nodes of the same type with the same settings
// (everything but id and description) on the same incoming edges receive the same input and
// compute the same thing: the later one, B, is removed, its outgoing edges leave from the first,
// A, and whatever read B reads A.
//
// Only for work that is a function of its input or safe to share: transform and join (pure), http
// GET and HEAD (safe methods, RFC 9110 §9.2.1), search, and fs read, stat and list. Two POSTs or
// two task handlers are two effects, not one. Not when a successor of B takes its implicit input
// (its key would change from B to A), when B is a sink and the output is the default one, or in a
// run when A or B has started.
import { JValue } from './lib/json';
import { answer } from './lib/abi';
import { Graph, contains, proposal, removeIndices, replaceOp, rewriteStrings } from './lib/ir';

export { alloc } from './lib/abi';

export function optimize(ptr: usize, len: i32): i64 {
  return answer(ptr, len, dedupe);
}

function dedupe(ir: JValue): JValue {
  const g = new Graph(ir);
  const out = JValue.arr();
  const topo = ir.getArr('topo');
  for (let x = 0; x < topo.length; x++) {
    const a = g.indexOf(topo[x].text);
    if (a < 0 || !shareable(g, a)) continue;
    for (let y = x + 1; y < topo.length; y++) {
      const b = g.indexOf(topo[y].text);
      if (b < 0 || !shareable(g, b)) continue;
      if (!sameWork(g, a, b) || !sameIncoming(g, a, b)) continue;
      const p = merge(g, a, b);
      if (p != null) {
        out.push(p);
        return out; // one merge per round: the next is judged on the result of this one
      }
    }
  }
  return out;
}

function shareable(g: Graph, i: i32): bool {
  if (!g.pending(i)) return false;
  const t = g.type(i);
  if (t == 'transform' || t == 'join' || t == 'search') return true;
  const w = g.definitionOf(i).get('with');
  if (w == null) return false;
  if (t == 'http') {
    const m = w.getStr('method');
    return m == 'GET' || m == 'HEAD';
  }
  if (t == 'fs') {
    const op = w.getStr('op');
    return op == 'read' || op == 'stat' || op == 'list';
  }
  return false;
}

/** The node's definition without what does not change its work. */
function work(g: Graph, i: i32): JValue {
  const def = g.definitionOf(i);
  const w = JValue.obj();
  for (let k = 0; k < def.keys.length; k++) {
    const key = def.keys[k];
    if (key != 'id' && key != 'description' && key != 'memo') w.set(key, def.values[k]);
  }
  return w;
}

function sameWork(g: Graph, a: i32, b: i32): bool {
  return work(g, a).equals(work(g, b));
}

/** The same incoming edges, by source, port and guard (as a multiset). */
function sameIncoming(g: Graph, a: i32, b: i32): bool {
  const ea = g.inEdges(a);
  const eb = g.inEdges(b);
  if (ea.length != eb.length) return false;
  const used: bool[] = new Array<bool>(eb.length).fill(false);
  for (let i = 0; i < ea.length; i++) {
    const x = edgeKey(g, ea[i]);
    let found = false;
    for (let j = 0; j < eb.length && !found; j++) {
      if (!used[j] && edgeKey(g, eb[j]) == x) {
        used[j] = true;
        found = true;
      }
    }
    if (!found) return false;
  }
  return true;
}

function edgeKey(g: Graph, e: i32): string {
  const edge = g.edges[e];
  return (
    edge.getStr('from') + '\u0000' + edge.getStr('on', 'success') + '\u0000' + edge.getStr('when')
  );
}

function merge(g: Graph, a: i32, b: i32): JValue | null {
  const aId = g.id(a);
  const bId = g.id(b);
  const bOut = g.outEdges(b);
  if (bOut.length == 0 && g.defaultOutput()) return null;
  for (let k = 0; k < bOut.length; k++) {
    if (g.takesImplicitInput(g.to(bOut[k]))) return null;
  }

  const ops: JValue[] = [];
  const removedEdges: i32[] = g.inEdges(b);
  // B's outgoing edges leave from A, unless A has the very same edge already.
  for (let k = 0; k < bOut.length; k++) {
    const e = bOut[k];
    const moved = g.edges[e];
    let duplicate = false;
    for (let f = 0; f < g.edges.length; f++) {
      const other = g.edges[f];
      if (
        other.getStr('from') == aId &&
        other.getStr('to') == moved.getStr('to') &&
        other.getStr('on', 'success') == moved.getStr('on', 'success') &&
        other.getStr('when') == moved.getStr('when')
      ) {
        duplicate = true;
      }
    }
    if (duplicate) removedEdges.push(e);
    else ops.push(replaceOp('/edges/' + e.toString() + '/from', JValue.str(aId)));
  }
  // Readers of B read A: node settings and inputs, guards, the output.
  const nodes = g.definition.getArr('nodes');
  for (let i = 0; i < nodes.length; i++) {
    if (i == b || !g.reads(i, bId)) continue;
    const copy = nodes[i].clone();
    const w = copy.get('with');
    if (w != null && rewriteStrings(w, bId, '', 'nodes.' + aId)) {
      ops.push(replaceOp('/nodes/' + i.toString() + '/with', w));
    }
    const input = copy.get('input');
    if (input != null && rewriteStrings(input, bId, '', 'nodes.' + aId)) {
      ops.push(replaceOp('/nodes/' + i.toString() + '/input', input));
    }
  }
  const defEdges = g.definition.getArr('edges');
  for (let e = 0; e < g.edges.length; e++) {
    if (!contains(g.edges[e].getArr('reads'), bId)) continue;
    const when = defEdges[e].get('when');
    if (when != null) {
      const copy = when.clone();
      if (rewriteStrings(copy, bId, '', 'nodes.' + aId)) {
        ops.push(replaceOp('/edges/' + e.toString() + '/when', copy));
      }
    }
  }
  if (contains(g.ir.getArr('outputReads'), bId)) {
    const output = g.definition.get('output');
    if (output != null) {
      const copy = output.clone();
      if (rewriteStrings(copy, bId, '', 'nodes.' + aId)) ops.push(replaceOp('/output', copy));
    }
  }
  const edgeOps = removeIndices('/edges/', removedEdges);
  for (let k = 0; k < edgeOps.length; k++) ops.push(edgeOps[k]);
  const nodeOps = removeIndices('/nodes/', [b]);
  for (let k = 0; k < nodeOps.length; k++) ops.push(nodeOps[k]);
  return proposal(
    ops,
    'dedupe: ' +
      bId +
      ' is the same ' +
      g.type(b) +
      ' as ' +
      aId +
      ' on the same inputs; ' +
      bId +
      ' is removed and its readers and successors use ' +
      aId,
  );
}
