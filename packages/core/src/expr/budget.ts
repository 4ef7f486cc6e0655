// The checked budget every expression evaluates under (issue: hostile expressions). Evaluation
// runs on the caller's thread — the decider is synchronous and pure — so instead of a thread to
// kill, each evaluation carries a budget that jsonata consults at every step through its
// `__evaluate_entry` / `__evaluate_exit` hooks:
// - time: the wall clock, read every 128 steps (an endless tail-recursive lambda is caught
//   within ~one check period after the limit);
// - depth: nested steps, so deep recursion fails by name long before the JS stack overflows;
// - size: every string and array a step produces.
// Builtins that build a large value in ONE native call ($pad, $join, $replace) would allocate it
// before the exit hook sees it, so they are replaced by versions that refuse first; a range
// (`[a..b]`, up to 10⁷ items in jsonata) is judged from its bounds as soon as both are known.
import jsonata from 'jsonata';
import { AobError } from '../errors.js';
import { serverLimits } from '../limits.js';

const CHECK_EVERY = 128;

/**
 * The bound expressions of an expression's ranges (AST node → its range, and which bound), so
 * evaluation can refuse a range before jsonata builds it. Built once per compiled expression;
 * undefined when it has no range, which keeps the exit hook to the size check.
 */
export type RangeBounds = Map<object, { range: object; end: boolean }>;

/** Records a range's bound expressions in `bounds`. */
export function addRange(bounds: RangeBounds, range: { lhs?: unknown; rhs?: unknown }): void {
  if (range.lhs && typeof range.lhs === 'object') bounds.set(range.lhs, { range, end: false });
  if (range.rhs && typeof range.rhs === 'object') bounds.set(range.rhs, { range, end: true });
}

/** The per-evaluation hooks, bound as jsonata bindings (a fresh frame per call). */
export function evaluationBudget(source: string, ranges?: RangeBounds): Record<string, unknown> {
  const limits = serverLimits();
  const { expressionDepth: maxDepth, expressionTimeMs: timeMs } = limits;
  const maxString = limits.expressionStringLength;
  const maxItems = limits.expressionItems;
  // The one clock in the core, and not an input to any decision: like the JS stack limit it
  // bounds what this process spends; a run that crosses it fails, and the failure is logged, so
  // replays read the outcome instead of timing the evaluation again.
  // eslint-disable-next-line no-restricted-properties
  const deadline = performance.now() + timeMs;
  let depth = 0;
  let steps = 0;
  let rangeStarts: Map<object, unknown> | undefined;
  return {
    __evaluate_entry() {
      if (++depth > maxDepth) {
        throw limitError(source, 'depth', `nests deeper than ${maxDepth} steps`);
      }
      // eslint-disable-next-line no-restricted-properties -- the budget's clock (see above)
      if (++steps % CHECK_EVERY === 0 && performance.now() > deadline) {
        throw limitError(source, 'time', `ran longer than ${timeMs} ms (${steps} steps)`);
      }
    },
    __evaluate_exit(expr: object, _input: unknown, _env: unknown, result: unknown) {
      depth--;
      if (typeof result === 'string') {
        if (result.length > maxString) {
          throw limitError(
            source,
            'string',
            `built a string of ${result.length} characters; the limit is ${maxString}`,
          );
        }
      } else if (Array.isArray(result) && result.length > maxItems) {
        throw limitError(
          source,
          'items',
          `built a sequence of ${result.length} items; the limit is ${maxItems}`,
        );
      }
      const bound = ranges?.get(expr);
      if (bound === undefined) return;
      if (!bound.end) {
        (rangeStarts ??= new Map()).set(bound.range, result);
        return;
      }
      const start = rangeStarts?.get(bound.range);
      if (
        typeof start === 'number' &&
        typeof result === 'number' &&
        result - start + 1 > maxItems
      ) {
        throw limitError(
          source,
          'items',
          `asks for a range of ${result - start + 1} items; the limit is ${maxItems}`,
        );
      }
    },
  };
}

/** Replaces the builtins that can build a huge value in one call with bounded versions. */
export function installBoundedBuiltins(expr: jsonata.Expression, source: string): void {
  expr.registerFunction(
    'pad',
    (str: string | undefined, width: number, char?: string) => {
      if (str === undefined) return undefined;
      const max = serverLimits().expressionStringLength;
      const fill = char === undefined || char === '' ? 1 : char.length;
      // jsonata joins |width| copies of the fill before trimming, so both count.
      if (Math.abs(width) > max || Math.abs(width) * fill > max) {
        throw limitError(
          source,
          'string',
          `$pad to width ${width} exceeds the string limit ${max}`,
        );
      }
      return builtin('pad')(str, width, char);
    },
    '<s-ns?:s>',
  );
  expr.registerFunction(
    'join',
    (strs: string[] | undefined, separator?: string) => {
      if (strs === undefined) return undefined;
      const max = serverLimits().expressionStringLength;
      let total = Math.max(0, strs.length - 1) * (separator?.length ?? 0);
      for (const s of strs) total += typeof s === 'string' ? s.length : 0;
      if (total > max) {
        throw limitError(
          source,
          'string',
          `$join would build ${total} characters; the limit is ${max}`,
        );
      }
      return builtin('join')(strs, separator);
    },
    '<a<s>s?:s>',
  );
  expr.registerFunction(
    'replace',
    function (
      this: unknown,
      str: string | undefined,
      pattern: unknown,
      replacement: unknown,
      limit?: number,
    ) {
      if (str !== undefined && typeof replacement === 'string' && replacement.length > 0) {
        const max = serverLimits().expressionStringLength;
        // Without counting matches the worst case is one per character; count only when that
        // worst case could cross the limit, and refuse when the inserted text alone would.
        if ((str.length + 1) * replacement.length + str.length > max) {
          const cap = Math.floor(max / replacement.length) + 1;
          const want = limit === undefined ? cap : Math.min(limit, cap);
          const matches = countMatches(str, pattern, want);
          if (matches * replacement.length > max) {
            throw limitError(
              source,
              'string',
              `$replace would insert more than ${max} characters (${matches}+ matches × ${replacement.length})`,
            );
          }
        }
      }
      return builtin('replace').call(this, str, pattern, replacement, limit);
    },
    '<s-(sf)(sf)n?:s>',
  );
}

/** How many times `pattern` (a string or a jsonata regex matcher) occurs in `str`, up to `cap`. */
function countMatches(str: string, pattern: unknown, cap: number): number {
  if (typeof pattern === 'string') {
    let n = 0;
    for (
      let at = str.indexOf(pattern);
      at >= 0 && n < cap;
      at = str.indexOf(pattern, at + Math.max(1, pattern.length))
    )
      n++;
    return n;
  }
  const matches = drive(builtin('match')(str, pattern, cap));
  return Array.isArray(matches) ? matches.length : matches === undefined ? 0 : 1;
}

/**
 * Runs one of jsonata's generator builtins to its end the way its synchronous evaluator does:
 * every yielded value is sent straight back.
 */
function drive(result: unknown): unknown {
  if (!isIterator(result)) return result;
  let step = result.next();
  while (!step.done) step = result.next(step.value);
  return step.value;
}

function isIterator(v: unknown): v is Iterator<unknown, unknown, unknown> {
  return typeof v === 'object' && v !== null && typeof (v as Iterator<unknown>).next === 'function';
}

type Builtin = (...args: unknown[]) => unknown;
const builtins = new Map<string, Builtin>();

/** jsonata's own implementation of a builtin: a bare `$name` evaluates to it. */
function builtin(name: string): Builtin {
  let fn = builtins.get(name);
  if (!fn) {
    const value = jsonata(`$${name}`).evaluate({}) as { implementation?: Builtin } | undefined;
    if (typeof value?.implementation !== 'function') throw new Error(`jsonata has no $${name}`);
    fn = value.implementation;
    builtins.set(name, fn);
  }
  return fn;
}

export function limitError(source: string, limit: string, what: string): AobError {
  const s = source.trim();
  const shown = s.length > 120 ? `${s.slice(0, 117)}…` : s;
  return new AobError('EXPRESSION_LIMIT', `expression ${shown} ${what}`, {
    retryable: false,
    details: { expression: source, limit },
  });
}
