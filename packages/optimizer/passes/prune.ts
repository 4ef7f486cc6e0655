// prune: dead-path pruning. An edge whose `when` is constant is decided here once instead of at
// every run: a guard that is always true is dropped; a guard that is never true — a constant,
// or `inputs.<field> = <literal>` where the inputs schema's `enum`/`const` leaves no such value —
// makes the edge dead, and with it every node all of whose incoming edges are dead (their
// outgoing edges die too). Dead nodes never run (the engine would skip them), so removing them
// changes what runs only in what it records.
//
// It leaves alone: nodes that started (in a run), a dead part that something live reads (a node,
// a guard, the output), and a removal that would change the default output (sinks).
import { JValue, parse } from './lib/json';
import { answer } from './lib/abi';
import { Graph, contains, expressionBody, proposal, removeIndices, removeOp } from './lib/ir';

export { alloc } from './lib/abi';

export function optimize(ptr: usize, len: i32): i64 {
  return answer(ptr, len, prune);
}

const UNKNOWN: i32 = -1;

function prune(ir: JValue): JValue {
  const g = new Graph(ir);
  const out = JValue.arr();
  const alwaysTrue: i32[] = [];
  const dead: bool[] = new Array<bool>(g.edges.length).fill(false);
  const notes: string[] = [];
  for (let e = 0; e < g.edges.length; e++) {
    const when = g.edges[e].get('when');
    if (when == null || !when.isStr()) continue;
    if (!g.pending(g.from(e))) continue;
    const verdict = constantGuard(when.text, g.definition.get('inputs'));
    if (verdict == 1) {
      alwaysTrue.push(e);
      notes.push(
        'edge ' + describe(g, e) + ': `' + when.text + '` is always true, the guard is dropped',
      );
    } else if (verdict == 0) {
      dead[e] = true;
      notes.push('edge ' + describe(g, e) + ': `' + when.text + '` is never true');
    }
  }

  // Dead nodes, in topological order: every incoming edge dead. Their outgoing edges die too.
  const deadNode: bool[] = new Array<bool>(g.nodes.length).fill(false);
  const topo = ir.getArr('topo');
  for (let t = 0; t < topo.length; t++) {
    const i = g.indexOf(topo[t].text);
    if (i < 0) continue;
    const incoming = g.inEdges(i);
    if (incoming.length == 0 || !g.pending(i)) continue;
    let allDead = true;
    for (let k = 0; k < incoming.length; k++) if (!dead[incoming[k]]) allDead = false;
    if (!allDead) continue;
    deadNode[i] = true;
    const outgoing = g.outEdges(i);
    for (let k = 0; k < outgoing.length; k++) dead[outgoing[k]] = true;
  }

  let prunable = true;
  const removedNodes: i32[] = [];
  const removedIds: string[] = [];
  for (let i = 0; i < g.nodes.length; i++) {
    if (!deadNode[i]) continue;
    removedNodes.push(i);
    removedIds.push(g.id(i));
  }
  // Something live that reads a dead node would be left reading nothing: keep everything then.
  for (let k = 0; k < removedIds.length && prunable; k++) {
    for (let i = 0; i < g.nodes.length; i++) {
      if (!deadNode[i] && g.reads(i, removedIds[k])) {
        prunable = false;
        notes.push('kept: ' + g.id(i) + ' reads ' + removedIds[k]);
      }
    }
    for (let e = 0; e < g.edges.length; e++) {
      if (!dead[e] && contains(g.edges[e].getArr('reads'), removedIds[k])) {
        prunable = false;
        notes.push('kept: edge ' + describe(g, e) + ' reads ' + removedIds[k]);
      }
    }
    if (contains(ir.getArr('outputReads'), removedIds[k])) {
      prunable = false;
      notes.push('kept: the output reads ' + removedIds[k]);
    }
  }
  if (prunable && g.defaultOutput() && removedNodes.length > 0 && sinksChangeShape(g, deadNode)) {
    prunable = false;
    notes.push('kept: the workflow has no output and removing a sink would change its shape');
  }

  const ops: JValue[] = [];
  for (let k = 0; k < alwaysTrue.length; k++) {
    ops.push(removeOp('/edges/' + alwaysTrue[k].toString() + '/when'));
  }
  if (prunable) {
    const removedEdges: i32[] = [];
    for (let e = 0; e < g.edges.length; e++) if (dead[e]) removedEdges.push(e);
    const edgeOps = removeIndices('/edges/', removedEdges);
    for (let k = 0; k < edgeOps.length; k++) ops.push(edgeOps[k]);
    const nodeOps = removeIndices('/nodes/', removedNodes);
    for (let k = 0; k < nodeOps.length; k++) ops.push(nodeOps[k]);
    if (removedIds.length > 0)
      notes.push('removed nodes that only a dead edge reached: ' + removedIds.join(', '));
  }
  if (ops.length > 0) out.push(proposal(ops, 'prune: ' + notes.join('; ')));
  return out;
}

/** With the default output, a workflow of several sinks outputs an object; of one, its value. */
function sinksChangeShape(g: Graph, deadNode: bool[]): bool {
  let before = 0;
  let after = 0;
  for (let i = 0; i < g.nodes.length; i++) {
    if (g.outEdges(i).length > 0) continue;
    before++;
    if (!deadNode[i]) after++;
  }
  // A live node whose only successors die becomes a sink.
  for (let i = 0; i < g.nodes.length; i++) {
    if (deadNode[i]) continue;
    const outgoing = g.outEdges(i);
    if (outgoing.length == 0) continue;
    let allToDead = true;
    for (let k = 0; k < outgoing.length; k++) if (!deadNode[g.to(outgoing[k])]) allToDead = false;
    if (allToDead) after++;
  }
  return before != after && (before == 1 || after == 1);
}

function describe(g: Graph, e: i32): string {
  return g.edges[e].getStr('from') + '→' + g.edges[e].getStr('to');
}

/**
 * 1 when the guard is always true, 0 when never, UNKNOWN otherwise. Understood: literals
 * (truthy as the engine's `truthy`: non-empty strings, non-zero numbers, true), and
 * `inputs.<field> = <literal>` / `!=` (either side) against the inputs schema's enum or const.
 */
function constantGuard(when: string, inputs: JValue | null): i32 {
  const body = expressionBody(when);
  if (body == null) return UNKNOWN;
  const literal = literalOf(body);
  if (literal != null) return truthy(literal) ? 1 : 0;
  let op = '!=';
  let at = body.indexOf('!=');
  if (at < 0) {
    op = '=';
    at = body.indexOf('=');
  }
  if (at < 0) return UNKNOWN;
  const left = body.substring(0, at).trim();
  const right = body.substring(at + op.length).trim();
  let field = inputField(left);
  let value = literalOf(right);
  if (field == null || value == null) {
    field = inputField(right);
    value = literalOf(left);
  }
  if (field == null || value == null || inputs == null) return UNKNOWN;
  const allowed = allowedValues(inputs, field);
  if (allowed == null) return UNKNOWN;
  let possible = false;
  for (let k = 0; k < allowed.length; k++) if (allowed[k].equals(value)) possible = true;
  if (possible) return UNKNOWN;
  if (op == '=') return 0;
  // `inputs.f != v` with v impossible is true only when f is there (JSONata: undefined != v is false).
  return required(inputs, field) ? 1 : UNKNOWN;
}

function truthy(v: JValue): bool {
  if (v.kind == 1) return v.flag;
  if (v.kind == 2) return parseFloat(v.text) != 0;
  if (v.kind == 3) return v.text.length > 0;
  return false;
}

/** A JSON-like literal (`true`, `12`, `'text'`, `"text"`, `null`) without operators, or null. */
function literalOf(text: string): JValue | null {
  const t = text.trim();
  if (t.length == 0) return null;
  const c = t.charCodeAt(0);
  if (c == 0x27 || c == 0x22) {
    if (t.length < 2 || t.charCodeAt(t.length - 1) != c) return null;
    const inner = t.substring(1, t.length - 1);
    if (inner.indexOf(String.fromCharCode(c)) >= 0 || inner.indexOf('\\') >= 0) return null;
    return JValue.str(inner);
  }
  if (t == 'true' || t == 'false' || t == 'null') return parse(t);
  for (let i = 0; i < t.length; i++) {
    const d = t.charCodeAt(i);
    const ok = (d >= 0x30 && d <= 0x39) || d == 0x2e || (i == 0 && d == 0x2d);
    if (!ok) return null;
  }
  return parse(t);
}

/** `inputs.<field>` (one level, a plain name), or null. */
function inputField(text: string): string | null {
  if (!text.startsWith('inputs.')) return null;
  const name = text.substring(7);
  if (name.length == 0) return null;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok =
      (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f;
    if (!ok) return null;
  }
  return name;
}

/** The values the inputs schema allows for a field (`enum`, or `const`), or null when open. */
function allowedValues(inputs: JValue, field: string): JValue[] | null {
  const props = inputs.get('properties');
  if (props == null) return null;
  const schema = props.get(field);
  if (schema == null) return null;
  const en = schema.get('enum');
  if (en != null && en.isArr()) return en.items;
  const cst = schema.get('const');
  if (cst != null) return [cst];
  return null;
}

function required(inputs: JValue, field: string): bool {
  return contains(inputs.getArr('required'), field);
}
