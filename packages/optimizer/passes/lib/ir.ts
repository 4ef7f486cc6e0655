// What every pass needs from the IR view the host sends (packages/optimizer/src/ir-view.ts):
// indices, edges in and out, what reads what, what may still change, and builders for proposals.
import { JValue, quote } from './json';

export class Graph {
  ir: JValue;
  definition: JValue;
  /** The view's nodes: { id, index, type, reads, usesInput, hasInput, status }. */
  nodes: JValue[];
  /** The view's edges: { index, from, to, on, when?, reads }. */
  edges: JValue[];

  constructor(ir: JValue) {
    this.ir = ir;
    const def = ir.get('definition');
    this.definition = def != null ? def : JValue.obj();
    this.nodes = ir.getArr('nodes');
    this.edges = ir.getArr('edges');
  }

  /** The node's index, or -1. */
  indexOf(id: string): i32 {
    for (let i = 0; i < this.nodes.length; i++) {
      if (this.nodes[i].getStr('id') == id) return i;
    }
    return -1;
  }

  id(i: i32): string {
    return this.nodes[i].getStr('id');
  }

  type(i: i32): string {
    return this.nodes[i].getStr('type');
  }

  /** The node as the definition has it. */
  definitionOf(i: i32): JValue {
    return this.definition.getArr('nodes')[i];
  }

  /** Indices of the edges into node i, in definition order. */
  inEdges(i: i32): i32[] {
    const id = this.id(i);
    const out: i32[] = [];
    for (let e = 0; e < this.edges.length; e++) {
      if (this.edges[e].getStr('to') == id) out.push(e);
    }
    return out;
  }

  /** Indices of the edges out of node i, in definition order. */
  outEdges(i: i32): i32[] {
    const id = this.id(i);
    const out: i32[] = [];
    for (let e = 0; e < this.edges.length; e++) {
      if (this.edges[e].getStr('from') == id) out.push(e);
    }
    return out;
  }

  /** An edge on the success port without a guard. */
  isPlain(e: i32): bool {
    const edge = this.edges[e];
    return edge.getStr('on', 'success') == 'success' && !edge.has('when');
  }

  from(e: i32): i32 {
    return this.indexOf(this.edges[e].getStr('from'));
  }

  to(e: i32): i32 {
    return this.indexOf(this.edges[e].getStr('to'));
  }

  /**
   * Whether the node may be rewritten: always for a workflow; in a run only while it is pending
   * (the validator refuses changes to nodes that started, and edges added out of a finished node
   * would never be taken: its route was decided when it finished).
   */
  pending(i: i32): bool {
    return this.nodes[i].getStr('status', 'pending') == 'pending';
  }

  /** Whether node i's expressions (input and with) read node `id`. */
  reads(i: i32, id: string): bool {
    return contains(this.nodes[i].getArr('reads'), id);
  }

  /** Whether node i consumes the value it is given when it has no `input` of its own. */
  takesImplicitInput(i: i32): bool {
    const n = this.nodes[i];
    const uses = n.get('usesInput');
    const has = n.get('hasInput');
    return uses != null && uses.flag && !(has != null && has.flag);
  }

  /** Whether anything but node `except` — a node, an edge guard, the output — reads node `id`. */
  readElsewhere(id: string, except: i32): bool {
    for (let i = 0; i < this.nodes.length; i++) {
      if (i != except && this.reads(i, id)) return true;
    }
    for (let e = 0; e < this.edges.length; e++) {
      if (contains(this.edges[e].getArr('reads'), id)) return true;
    }
    return contains(this.ir.getArr('outputReads'), id);
  }

  /** A join of mode `any` or `n` (runs before all its predecessors are done). */
  isPartialJoin(i: i32): bool {
    if (this.type(i) != 'join') return false;
    const w = this.definitionOf(i).get('with');
    if (w == null) return false;
    const mode = w.getStr('mode', 'all');
    return mode == 'any' || mode == 'n';
  }

  /** Whether the workflow's output is the default one (its sink nodes' outputs). */
  defaultOutput(): bool {
    return !this.definition.has('output');
  }

  hasEdge(from: string, to: string): bool {
    for (let e = 0; e < this.edges.length; e++) {
      const edge = this.edges[e];
      if (edge.getStr('from') == from && edge.getStr('to') == to && this.isPlain(e)) return true;
    }
    return false;
  }
}

export function contains(list: JValue[], s: string): bool {
  for (let i = 0; i < list.length; i++) {
    if (list[i].isStr() && list[i].text == s) return true;
  }
  return false;
}

export function removeOp(path: string): JValue {
  return JValue.obj().set('op', JValue.str('remove')).set('path', JValue.str(path));
}

export function addOp(path: string, value: JValue): JValue {
  return JValue.obj()
    .set('op', JValue.str('add'))
    .set('path', JValue.str(path))
    .set('value', value);
}

export function replaceOp(path: string, value: JValue): JValue {
  return JValue.obj()
    .set('op', JValue.str('replace'))
    .set('path', JValue.str(path))
    .set('value', value);
}

export function plainEdge(from: string, to: string): JValue {
  return JValue.obj().set('from', JValue.str(from)).set('to', JValue.str(to));
}

export function proposal(ops: JValue[], rationale: string): JValue {
  const patch = JValue.arr();
  for (let i = 0; i < ops.length; i++) patch.push(ops[i]);
  return JValue.obj().set('patch', patch).set('rationale', JValue.str(rationale));
}

/** Removals of array items by index, highest first, so earlier removals do not shift later ones. */
export function removeIndices(prefix: string, indices: i32[]): JValue[] {
  const sorted = indices.slice(0);
  sorted.sort((a: i32, b: i32): i32 => b - a);
  const ops: JValue[] = [];
  for (let k = 0; k < sorted.length; k++) {
    if (k > 0 && sorted[k] == sorted[k - 1]) continue;
    ops.push(removeOp(prefix + sorted[k].toString()));
  }
  return ops;
}

/** The text of a `{% … %}` expression string, trimmed, or null when `s` is no expression. */
export function expressionBody(s: string): string | null {
  const t = s.trim();
  if (t.length < 4 || !t.startsWith('{%') || !t.endsWith('%}')) return null;
  return t.substring(2, t.length - 2).trim();
}

/** A JSONata expression that evaluates to what the `with` template `v` evaluates to. */
export function templateAsExpression(v: JValue): string {
  if (v.isStr()) {
    const body = expressionBody(v.text);
    return body != null ? '(' + body + ')' : quote(v.text);
  }
  if (v.isArr()) {
    const parts: string[] = [];
    for (let i = 0; i < v.items.length; i++) parts.push(templateAsExpression(v.items[i]));
    return '[' + parts.join(', ') + ']';
  }
  if (v.isObj()) {
    const parts: string[] = [];
    for (let i = 0; i < v.keys.length; i++) {
      parts.push(quote(v.keys[i]) + ': ' + templateAsExpression(v.values[i]));
    }
    return '{' + parts.join(', ') + '}';
  }
  return v.stringify();
}

function isIdChar(c: i32): bool {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c == 0x5f ||
    c == 0x2d
  );
}

/**
 * `text` with every reference `nodes.<id><suffix>` (or ``nodes.`<id>`<suffix>``) replaced by
 * `replacement`. A reference is whole: the character after it is no identifier character.
 */
export function replaceReference(
  text: string,
  id: string,
  suffix: string,
  replacement: string,
): string {
  let out = text;
  const forms: string[] = ['nodes.' + id + suffix, 'nodes.`' + id + '`' + suffix];
  for (let f = 0; f < forms.length; f++) {
    const form = forms[f];
    const parts: string[] = [];
    let at = 0;
    for (;;) {
      const found = out.indexOf(form, at);
      if (found < 0) break;
      const end = found + form.length;
      if (end < out.length && isIdChar(out.charCodeAt(end))) {
        parts.push(out.substring(at, end));
        at = end;
        continue;
      }
      parts.push(out.substring(at, found));
      parts.push(replacement);
      at = end;
    }
    parts.push(out.substring(at));
    out = parts.join('');
  }
  return out;
}

/** Whether `text` mentions node `id` in any form (`nodes.<id>`, a backquoted name, a string). */
export function mentions(text: string, id: string): bool {
  return (
    replaceReference(text, id, '', '\u0000') != text ||
    text.indexOf('`' + id + '`') >= 0 ||
    text.indexOf("'" + id + "'") >= 0 ||
    text.indexOf('"' + id + '"') >= 0
  );
}

/** Applies `rewrite` to every expression string inside `v`, in place; returns whether any changed. */
export function rewriteStrings(v: JValue, id: string, suffix: string, replacement: string): bool {
  let changed = false;
  if (v.isStr()) {
    if (expressionBody(v.text) == null) return false;
    const next = replaceReference(v.text, id, suffix, replacement);
    if (next != v.text) {
      v.text = next;
      changed = true;
    }
    return changed;
  }
  for (let i = 0; i < v.items.length; i++) {
    if (rewriteStrings(v.items[i], id, suffix, replacement)) changed = true;
  }
  for (let i = 0; i < v.values.length; i++) {
    if (rewriteStrings(v.values[i], id, suffix, replacement)) changed = true;
  }
  return changed;
}

/** Whether any expression string inside `v` mentions node `id`. */
export function anyMentions(v: JValue, id: string): bool {
  if (v.isStr()) return expressionBody(v.text) != null && mentions(v.text, id);
  for (let i = 0; i < v.items.length; i++) if (anyMentions(v.items[i], id)) return true;
  for (let i = 0; i < v.values.length; i++) if (anyMentions(v.values[i], id)) return true;
  return false;
}
