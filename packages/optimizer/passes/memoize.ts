// memoize: marks pure subgraphs for result memoisation. A node is pure when its output is a
// function of its input and settings alone: `transform` and `join` (expressions have no clock
// and no randomness: the validator refuses $now, $millis, $random). Each pure node gets
// `memo: true`; the rationale names the connected pure subgraphs. A runner with a result memo
// then reuses a marked node's stored output for the same settings and input (README, "The
// optimizer"); the validator refuses the mark on other types (IMPURE_MEMO).
import { JValue } from './lib/json';
import { answer } from './lib/abi';
import { Graph, addOp, proposal } from './lib/ir';

export { alloc } from './lib/abi';

export function optimize(ptr: usize, len: i32): i64 {
  return answer(ptr, len, memoize);
}

function pure(g: Graph, i: i32): bool {
  const t = g.type(i);
  return (t == 'transform' || t == 'join') && g.pending(i);
}

function memoize(ir: JValue): JValue {
  const g = new Graph(ir);
  const out = JValue.arr();
  const marked: bool[] = new Array<bool>(g.nodes.length).fill(false);
  const ops: JValue[] = [];
  for (let i = 0; i < g.nodes.length; i++) {
    if (!pure(g, i) || g.definitionOf(i).has('memo')) continue;
    marked[i] = true;
    ops.push(addOp('/nodes/' + i.toString() + '/memo', JValue.bool(true)));
  }
  if (ops.length == 0) return out;

  // Connected components of the marked nodes over their edges, for the rationale.
  const group: i32[] = new Array<i32>(g.nodes.length).fill(-1);
  const groups: string[] = [];
  for (let i = 0; i < g.nodes.length; i++) {
    if (!marked[i] || group[i] >= 0) continue;
    const members: string[] = [];
    const stack: i32[] = [i];
    group[i] = groups.length;
    while (stack.length > 0) {
      const n = stack.pop();
      members.push(g.id(n));
      for (let e = 0; e < g.edges.length; e++) {
        let other = -1;
        if (g.from(e) == n) other = g.to(e);
        else if (g.to(e) == n) other = g.from(e);
        if (other >= 0 && marked[other] && group[other] < 0) {
          group[other] = groups.length;
          stack.push(other);
        }
      }
    }
    groups.push('{' + members.join(', ') + '}');
  }
  out.push(
    proposal(
      ops,
      'memoize: pure subgraphs (transform and join nodes: their output depends only on their input and settings) marked memo: ' +
        groups.join(', '),
    ),
  );
  return out;
}
