// Hints that keep a decision's cost from growing with the graph. Two questions a decision asks
// used to walk every node or every incoming edge: settle's "is any node still in flight?" (asked
// after every result) and a join's "has every predecessor finished?" (asked after each
// predecessor's result). Both are answered by one witness — a node in flight, a predecessor not
// finished — and where a witness was found last time, it is usually found again, or just after
// it: a chain's next node, the next sibling of a fan-out. So each search starts there, wraps
// around, and remembers where it found one.
//
// A hint is never trusted: what it points at is checked against the state like any other
// candidate, so a stale hint (after a patch changed the graph, say) costs a longer search, never
// a wrong answer. Hints are kept per run state object (the caller's, evolved in place across
// decisions) in WeakMaps, so they go with the state and decide stays a function of its inputs.
import type { IR } from '../ir/types.js';
import type { NodeState, RunState } from './state.js';
import { FINISHED } from './state.js';

/** Work in flight: what settle calls busy. A wait on a person (a ticket, a question) is not. */
export function isInFlight(s: NodeState | undefined): boolean {
  if (!s) return false;
  if (s.status === 'scheduled' || s.status === 'running' || s.status === 'retrying') return true;
  if (s.status !== 'waiting') return false;
  if (s.ticket && !s.ticket.decided) return false;
  return !(s.question && !s.question.answered);
}

const inFlightAt = new WeakMap<RunState, number>();

/**
 * Whether some node of the run is in flight: first among `touched` (the nodes this decision
 * changed), then from where one was found last time.
 */
export function anyInFlight(ir: IR, state: RunState, touched: Iterable<string>): boolean {
  for (const id of touched) if (ir.byId.has(id) && isInFlight(ownNode(state, id))) return true;
  const count = ir.nodes.length;
  const from = (inFlightAt.get(state) ?? 0) % Math.max(count, 1);
  for (let k = 0; k < count; k++) {
    const i = (from + k) % count;
    if (isInFlight(ownNode(state, ir.nodes[i]!.id))) {
      inFlightAt.set(state, i);
      return true;
    }
  }
  return false;
}

const unfinishedAt = new WeakMap<RunState, Map<number, number>>();

/** Whether some predecessor of node `i` has not finished, from where one was found last time. */
export function anyPredecessorUnfinished(ir: IR, state: RunState, i: number): boolean {
  const incoming = ir.in[i] ?? [];
  const count = incoming.length;
  let hints = unfinishedAt.get(state);
  const from = (hints?.get(i) ?? 0) % Math.max(count, 1);
  for (let k = 0; k < count; k++) {
    const at = (from + k) % count;
    const src = ownNode(state, ir.nodes[ir.edges[incoming[at]!]!.from]!.id);
    if (!src || !FINISHED.has(src.status)) {
      if (!hints) unfinishedAt.set(state, (hints = new Map()));
      hints.set(i, at);
      return true;
    }
  }
  return false;
}

/** The node's state; own properties only (a node id is never looked up on the prototype). */
function ownNode(state: RunState, id: string): NodeState | undefined {
  return Object.hasOwn(state.nodes, id) ? state.nodes[id] : undefined;
}
