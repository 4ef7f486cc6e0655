// parallelize: sequential nodes with no data dependency run side by side. When B's incoming edges
// are all plain (success, no guard) from nodes P1…Pk, and B reads none of them — not in its
// expressions, not as its implicit input — B does not need to wait for them: it is hoisted to
// wait for what they waited for (their own predecessors; an entry node when they are entries),
// and each successor C of B gets an edge from every Pi, so C still starts only after them.
// Repeated, a chain of independent calls A → B → C → D becomes A, B, C side by side before D.
//
// Semantics kept: the Pi still finish before B's successors, and every node sees the same values.
// What changes: B may run although a Pi then fails the run (only plain, unguarded edges are
// rewritten, and a Pi with a failure edge or a guard on its way out is left alone, so a failing Pi
// fails the run as before). Not hoisted: timer, approval, ask and join nodes (waiting is their
// point), a B whose successors take their implicit input or are partial joins (`any`, `n`), a
// sink when the output is the default one, started nodes (in a run).
import { JValue } from './lib/json';
import { answer } from './lib/abi';
import { Graph, addOp, plainEdge, proposal, removeIndices } from './lib/ir';

export { alloc } from './lib/abi';

export function optimize(ptr: usize, len: i32): i64 {
  return answer(ptr, len, parallelize);
}

function parallelize(ir: JValue): JValue {
  const g = new Graph(ir);
  const out = JValue.arr();
  const topo = ir.getArr('topo');
  for (let t = 0; t < topo.length; t++) {
    const b = g.indexOf(topo[t].text);
    if (b < 0) continue;
    const p = hoist(g, b);
    if (p != null) {
      out.push(p);
      return out; // one node per round: the next is judged on the result of this one
    }
  }
  return out;
}

function hoistable(g: Graph, i: i32): bool {
  const t = g.type(i);
  return g.pending(i) && t != 'timer' && t != 'approval' && t != 'ask' && t != 'join';
}

/** Every edge out of node i is plain: a failure of i fails the run, as before the rewrite. */
function onlyPlainOut(g: Graph, i: i32): bool {
  const outgoing = g.outEdges(i);
  for (let k = 0; k < outgoing.length; k++) if (!g.isPlain(outgoing[k])) return false;
  return true;
}

function hoist(g: Graph, b: i32): JValue | null {
  if (!hoistable(g, b)) return null;
  const incoming = g.inEdges(b);
  if (incoming.length == 0) return null;
  const bId = g.id(b);
  const preds: i32[] = [];
  for (let k = 0; k < incoming.length; k++) {
    const e = incoming[k];
    if (!g.isPlain(e)) return null;
    const p = g.from(e);
    if (!g.pending(p) || !onlyPlainOut(g, p)) return null;
    if (g.reads(b, g.id(p)) || g.takesImplicitInput(b)) return null;
    // B's own guards and reads must not need the predecessor either.
    if (preds.indexOf(p) < 0) preds.push(p);
  }
  // Each successor C of B gets edges from the predecessors: it must not take its implicit input
  // (its keys would change) and must wait for all of its predecessors (not `any` / `n`).
  const bOut = g.outEdges(b);
  if (bOut.length == 0 && g.defaultOutput()) return null;
  if (!onlyPlainOut(g, b)) return null;
  for (let k = 0; k < bOut.length; k++) {
    const c = g.to(bOut[k]);
    if (g.takesImplicitInput(c) || g.isPartialJoin(c) || !g.pending(c)) return null;
  }

  // What B waits for now: what its predecessors waited for (plain edges only, to keep it simple).
  const grand: string[] = [];
  for (let k = 0; k < preds.length; k++) {
    const pIn = g.inEdges(preds[k]);
    for (let j = 0; j < pIn.length; j++) {
      // An edge added out of a node that has finished would never be taken (its route was
      // decided when it finished): in a run, B is hoisted only under pending nodes.
      if (!g.isPlain(pIn[j]) || !g.pending(g.from(pIn[j]))) return null;
      const from = g.edges[pIn[j]].getStr('from');
      if (grand.indexOf(from) < 0) grand.push(from);
    }
  }

  const ops: JValue[] = [];
  for (let k = 0; k < grand.length; k++) {
    if (!g.hasEdge(grand[k], bId)) ops.push(addOp('/edges/-', plainEdge(grand[k], bId)));
  }
  const added: string[] = [];
  for (let k = 0; k < bOut.length; k++) {
    const c = g.id(g.to(bOut[k]));
    for (let j = 0; j < preds.length; j++) {
      const p = g.id(preds[j]);
      const key = p + '→' + c;
      if (g.hasEdge(p, c) || added.indexOf(key) >= 0) continue;
      added.push(key);
      ops.push(addOp('/edges/-', plainEdge(p, c)));
    }
  }
  // Appended edges come after every existing index, so removing the old ones shifts nothing added.
  const removals = removeIndices('/edges/', incoming);
  for (let k = 0; k < removals.length; k++) ops.push(removals[k]);

  const predIds: string[] = [];
  for (let k = 0; k < preds.length; k++) predIds.push(g.id(preds[k]));
  return proposal(
    ops,
    'parallelize: ' +
      bId +
      ' reads nothing of ' +
      predIds.join(', ') +
      '; it now runs beside ' +
      (predIds.length == 1 ? 'it' : 'them') +
      (grand.length > 0 ? ' after ' + grand.join(', ') : ' from the start') +
      (added.length > 0
        ? ', and ' +
          added.join(', ') +
          ' keep its successors after ' +
          (predIds.length == 1 ? 'it' : 'them')
        : ''),
  );
}
