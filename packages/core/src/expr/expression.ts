// `{% JSONata %}` expressions: detection, static analysis and synchronous evaluation.
// jsonata is pinned to 1.8.7, whose evaluate() is synchronous when no callback is given.
import jsonata from 'jsonata';
import safeRegex from 'safe-regex2';
import { AobError } from '../errors.js';
import type { ExprContext } from '../ir/types.js';
import { addRange, evaluationBudget, installBoundedBuiltins, type RangeBounds } from './budget.js';
import { toJsonValue } from './json.js';

const EXPRESSION = /^\s*\{%([\s\S]*)%\}\s*$/;

/** True for a string that is exactly `{% … %}` (surrounding whitespace allowed); anything else is a literal. */
export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && EXPRESSION.test(value);
}

/** The JSONata text inside `{% … %}`, or undefined for a literal. */
export function expressionBody(source: string): string | undefined {
  return EXPRESSION.exec(source)?.[1];
}

/**
 * Functions an expression may not call: they read the clock or draw randomness, or ($eval) run
 * code that static analysis cannot see. Decisions must replay identically from the log.
 */
export const NONDETERMINISTIC_FUNCTIONS: ReadonlySet<string> = new Set([
  'now',
  'millis',
  'random',
  'shuffle',
  'eval',
]);

/** Where an expression calls (or refers to) a forbidden function; position is in the JSONata text. */
export interface ForbiddenUse {
  name: string;
  position: number;
}

/** Something found in the expression's text before it runs; position is in the JSONata text. */
export interface StaticFinding {
  text: string;
  position: number;
}

/** A parse failure: `position` is a character offset in the JSONata text. */
export interface ExpressionSyntaxError {
  message: string;
  position: number;
}

/** A compiled `{% … %}` expression. Immutable; shared through a cache keyed by source. */
export interface CompiledExpression {
  /** The string as written, with its `{% %}`. */
  readonly source: string;
  /** The JSONata text. */
  readonly body: string;
  /** Node ids read through `nodes.<id>` (in order of first appearance). */
  readonly reads: readonly string[];
  /** Uses of forbidden functions; evaluation throws when it reaches one. */
  readonly forbidden: readonly ForbiddenUse[];
  /**
   * True when `nodes` is read other than as `nodes.<id>` (`$keys(nodes)`, `nodes.*`): which
   * nodes that sees depends on which happen to have finished.
   */
  readonly readsNodesDynamically: boolean;
  /**
   * Regular expressions whose backtracking can take exponential time (nested quantifiers): one
   * native match call the evaluation budget could not interrupt. Validation refuses them.
   */
  readonly unsafeRegexes: readonly StaticFinding[];
  /** Ranges with literal bounds (`[1..1e8]`), with their sizes, for validation to judge. */
  readonly literalRanges: readonly (StaticFinding & { size: number })[];
  /** Evaluates synchronously; the result is plain JSON (undefined when nothing matches). */
  evaluate(ctx: ExprContext): unknown;
}

export type ParsedExpression =
  { ok: true; expression: CompiledExpression } | { ok: false; error: ExpressionSyntaxError };

type Ast = jsonata.ExprNode & Record<string, unknown>;

// A bounded cache (least recently used out first): definitions arrive from users and agents,
// so the set of distinct sources is unbounded in a long-lived process.
const CACHE_LIMIT = 10_000;
const cache = new Map<string, ParsedExpression>();

/** Parses and analyses an expression string without throwing (results are cached by source). */
export function parseExpression(source: string): ParsedExpression {
  const hit = cache.get(source);
  if (hit) {
    cache.delete(source);
    cache.set(source, hit);
    return hit;
  }
  const parsed = parseUncached(source);
  cache.set(source, parsed);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return parsed;
}

/** Compiles an expression string; throws AobError `BAD_EXPRESSION` on a syntax error. */
export function compileExpression(source: string): CompiledExpression {
  const parsed = parseExpression(source);
  if (!parsed.ok) {
    throw new AobError('BAD_EXPRESSION', `${describe(source)}: ${parsed.error.message}`, {
      details: { expression: source, position: parsed.error.position },
    });
  }
  return parsed.expression;
}

function parseUncached(source: string): ParsedExpression {
  const body = expressionBody(source);
  if (body === undefined) {
    return { ok: false, error: { message: 'not an expression: write {% … %}', position: 0 } };
  }
  if (body.trim() === '') return { ok: false, error: { message: 'empty expression', position: 0 } };
  let expr: jsonata.Expression;
  try {
    expr = jsonata(body);
  } catch (err) {
    const e = err as { message?: unknown; position?: unknown };
    const position = typeof e.position === 'number' ? e.position : 0;
    const message = typeof e.message === 'string' ? e.message : String(err);
    return {
      ok: false,
      error: { message: `syntax error at character ${position}: ${message}`, position },
    };
  }
  for (const name of NONDETERMINISTIC_FUNCTIONS) expr.assign(name, forbidden(name));
  installBoundedBuiltins(expr, source);
  const ranges: RangeBounds = new Map();
  const { reads, forbiddenUses, dynamic, unsafeRegexes, literalRanges } = analyse(
    expr.ast() as Ast,
    ranges,
  );
  const rangeBounds = ranges.size > 0 ? ranges : undefined;
  const expression: CompiledExpression = Object.freeze({
    source,
    body,
    reads: Object.freeze(reads),
    forbidden: Object.freeze(forbiddenUses),
    readsNodesDynamically: dynamic,
    unsafeRegexes: Object.freeze(unsafeRegexes),
    literalRanges: Object.freeze(literalRanges),
    evaluate(ctx: ExprContext): unknown {
      let result: unknown;
      try {
        // The budget's bindings also make jsonata evaluate in a fresh frame, so the cached
        // expression keeps no reference to the last context.
        result = expr.evaluate(ctx, evaluationBudget(source, rangeBounds));
      } catch (err) {
        throw evaluationError(source, err);
      }
      return toJsonValue(result);
    },
  });
  return { ok: true, expression };
}

function forbidden(name: string): () => never {
  return () => {
    throw new AobError(
      'EXPRESSION_ERROR',
      `$${name} is not allowed: expressions must be deterministic (pass times and random values in as inputs)`,
    );
  };
}

function describe(source: string): string {
  const s = source.trim();
  return `expression ${s.length > 120 ? `${s.slice(0, 117)}…` : s}`;
}

function evaluationError(source: string, err: unknown): AobError {
  if (err instanceof AobError && err.code === 'EXPRESSION_LIMIT') return err;
  const e = (err ?? {}) as { message?: unknown; code?: unknown; position?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const at = typeof e.position === 'number' ? ` (at character ${e.position})` : '';
  const details: Record<string, unknown> = { expression: source };
  if (typeof e.code === 'string') details['jsonataCode'] = e.code;
  if (typeof e.position === 'number') details['position'] = e.position;
  return new AobError('EXPRESSION_ERROR', `${describe(source)} failed${at}: ${message}`, {
    retryable: false,
    details,
  });
}

/**
 * Walks the AST for `nodes.<id>` reads (a path whose first step is `nodes`, or `$`/`$$` then
 * `nodes`, followed by a name) and for uses of forbidden functions. Reads are over-approximated:
 * `nodes.x` inside a predicate counts even though it may address the item's own `nodes` field.
 */
function analyse(
  root: Ast,
  ranges: RangeBounds,
): {
  reads: string[];
  forbiddenUses: ForbiddenUse[];
  dynamic: boolean;
  unsafeRegexes: StaticFinding[];
  literalRanges: (StaticFinding & { size: number })[];
} {
  const reads: string[] = [];
  const forbiddenUses: ForbiddenUse[] = [];
  const unsafeRegexes: StaticFinding[] = [];
  const literalRanges: (StaticFinding & { size: number })[] = [];
  let dynamic = false;
  const seen = new Set<object>();
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    const n = node as Ast;
    if (n.type === 'path' && Array.isArray(n.steps)) {
      const read = readOf(n.steps as Ast[]);
      if (read === null) dynamic = true;
      else if (read !== undefined && !reads.includes(read)) reads.push(read);
    }
    if (
      n.type === 'variable' &&
      typeof n.value === 'string' &&
      NONDETERMINISTIC_FUNCTIONS.has(n.value)
    ) {
      forbiddenUses.push({
        name: n.value,
        position: typeof n.position === 'number' ? n.position : 0,
      });
    }
    const position = typeof n.position === 'number' ? n.position : 0;
    if (n.type === 'regex' && n.value instanceof RegExp && !safeRegex(n.value)) {
      unsafeRegexes.push({ text: String(n.value), position });
    }
    const lhs = n.lhs as Ast | undefined;
    const rhs = n.rhs as Ast | undefined;
    if (n.type === 'binary' && n.value === '..') addRange(ranges, n);
    if (
      n.type === 'binary' &&
      n.value === '..' &&
      lhs?.type === 'number' &&
      rhs?.type === 'number'
    ) {
      const size = Number(rhs.value) - Number(lhs.value) + 1;
      if (size > 0) literalRanges.push({ text: `[${lhs.value}..${rhs.value}]`, position, size });
    }
    for (const key of Object.keys(n)) visit(n[key]);
  };
  visit(root);
  return { reads, forbiddenUses, dynamic, unsafeRegexes, literalRanges };
}

/** The node id a path reads, null for `nodes` not followed by a name, undefined for other paths. */
function readOf(steps: Ast[]): string | null | undefined {
  let i = 0;
  const first = steps[0];
  if (first?.type === 'variable' && (first.value === '' || first.value === '$')) i = 1;
  const nodes = steps[i];
  const id = steps[i + 1];
  if (nodes?.type !== 'name' || nodes.value !== 'nodes') return undefined;
  return id?.type === 'name' && typeof id.value === 'string' ? id.value : null;
}
