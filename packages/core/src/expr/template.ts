// Templates: any JSON value whose strings may be `{% … %}` expressions (a node's `with` block,
// an `input`, an edge's `when`, the workflow `output`). Static subtrees are returned as they are.
import type { ExprContext, Template } from '../ir/types.js';
import { compileExpression, isExpression, type CompiledExpression } from './expression.js';
import { setKey } from './json.js';

type Part =
  | { kind: 'static'; value: unknown }
  | { kind: 'expr'; expr: CompiledExpression }
  | { kind: 'object'; entries: [string, Part][] }
  | { kind: 'array'; items: Part[] };

/**
 * Compiles a JSON value into a Template. Throws AobError `BAD_EXPRESSION` for an expression that
 * does not parse (validateDefinition reports those as problems first).
 */
export function compileTemplate(source: unknown): Template {
  const reads: string[] = [];
  const part = build(source, reads);
  const evaluate =
    part.kind === 'static' ? () => source : (ctx: ExprContext) => evaluatePart(part, ctx);
  return Object.freeze({
    source,
    isStatic: part.kind === 'static',
    reads: Object.freeze(reads),
    evaluate,
  });
}

function build(value: unknown, reads: string[]): Part {
  if (typeof value === 'string') {
    if (!isExpression(value)) return { kind: 'static', value };
    const expr = compileExpression(value);
    for (const r of expr.reads) if (!reads.includes(r)) reads.push(r);
    return { kind: 'expr', expr };
  }
  if (Array.isArray(value)) {
    const items = value.map((v) => build(v, reads));
    return items.every((p) => p.kind === 'static')
      ? { kind: 'static', value }
      : { kind: 'array', items };
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]): [string, Part] => [k, build(v, reads)]);
    return entries.every(([, p]) => p.kind === 'static')
      ? { kind: 'static', value }
      : { kind: 'object', entries };
  }
  return { kind: 'static', value };
}

// Like JSON.stringify: a key whose expression yields nothing is left out; in an array it is null.
function evaluatePart(part: Part, ctx: ExprContext): unknown {
  switch (part.kind) {
    case 'static':
      return part.value;
    case 'expr':
      return part.expr.evaluate(ctx);
    case 'array':
      return part.items.map((p) => {
        const v = evaluatePart(p, ctx);
        return v === undefined ? null : v;
      });
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, p] of part.entries) {
        const v = evaluatePart(p, ctx);
        if (v !== undefined) setKey(out, key, v);
      }
      return out;
    }
  }
}

/** Every expression string in a JSON value, with its JSON pointer (for validation). */
export function forEachExpression(
  value: unknown,
  pointer: string,
  visit: (source: string, pointer: string) => void,
): void {
  if (typeof value === 'string') {
    if (isExpression(value)) visit(value, pointer);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => forEachExpression(v, `${pointer}/${i}`, visit));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value))
      forEachExpression(v, `${pointer}/${escapePointer(k)}`, visit);
  }
}

/** Escapes one JSON pointer segment (RFC 6901). */
export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
