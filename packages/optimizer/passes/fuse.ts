// fuse: fusion of adjacent `transform` nodes. When transform A feeds transform B and nothing else
// — A's one edge goes to B, B's one edge comes from A, both plain, nothing but B reads A — B's
// value is rewritten to compute A's inline (`nodes.A.output` becomes A's value as one JSONata
// expression) and A is removed, its incoming edges moved to B. One node evaluation, one event
// round trip and one stored output fewer per run; a chain of n transforms becomes one in n − 1
// rounds.
//
// Not fused: transforms with an `input` of their own, a B that reads A other than as
// `nodes.A.output` (its error, say), nodes that started (in a run).
import { JValue } from './lib/json';
import { answer } from './lib/abi';
import {
  Graph,
  anyMentions,
  proposal,
  removeOp,
  replaceOp,
  rewriteStrings,
  templateAsExpression,
} from './lib/ir';

export { alloc } from './lib/abi';

export function optimize(ptr: usize, len: i32): i64 {
  return answer(ptr, len, fuse);
}

function fuse(ir: JValue): JValue {
  const g = new Graph(ir);
  const out = JValue.arr();
  const topo = ir.getArr('topo');
  for (let t = 0; t < topo.length; t++) {
    const a = g.indexOf(topo[t].text);
    if (a < 0 || !fusible(g, a)) continue;
    const outgoing = g.outEdges(a);
    if (outgoing.length != 1 || !g.isPlain(outgoing[0])) continue;
    const link = outgoing[0];
    const b = g.to(link);
    if (!fusible(g, b)) continue;
    const incoming = g.inEdges(b);
    if (incoming.length != 1) continue;
    const aId = g.id(a);
    if (g.readElsewhere(aId, b)) continue;

    const bWith = g.definitionOf(b).get('with');
    const aWith = g.definitionOf(a).get('with');
    if (bWith == null || aWith == null) continue;
    const bValue = bWith.get('value');
    const aValue = aWith.get('value');
    if (bValue == null || aValue == null) continue;
    const fused = bValue.clone();
    rewriteStrings(fused, aId, '.output', templateAsExpression(aValue));
    // Whatever still names A (its error, a computed key) would read a node that is gone.
    if (anyMentions(fused, aId)) continue;

    // A's incoming edges are moved to B: in a run, only edges out of pending nodes (a finished
    // node's route named A, and would not be decided again for B).
    const aIn = g.inEdges(a);
    let movable = true;
    for (let k = 0; k < aIn.length; k++) if (!g.pending(g.from(aIn[k]))) movable = false;
    if (!movable) continue;
    const ops: JValue[] = [replaceOp('/nodes/' + b.toString() + '/with/value', fused)];
    for (let k = 0; k < aIn.length; k++) {
      ops.push(replaceOp('/edges/' + aIn[k].toString() + '/to', JValue.str(g.id(b))));
    }
    ops.push(removeOp('/edges/' + link.toString()));
    ops.push(removeOp('/nodes/' + a.toString()));
    out.push(
      proposal(
        ops,
        'fuse: transform ' +
          aId +
          ' feeds only transform ' +
          g.id(b) +
          '; ' +
          g.id(b) +
          ' now computes both (one node evaluation instead of two)',
      ),
    );
    return out; // one fusion per round: the next is judged on the result of this one
  }
  return out;
}

function fusible(g: Graph, i: i32): bool {
  if (g.type(i) != 'transform' || !g.pending(i)) return false;
  const def = g.definitionOf(i);
  return !def.has('input');
}
