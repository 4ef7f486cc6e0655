// The server's ceilings on what a definition, a request and an expression may cost. They are
// the operator's, not the author's: a definition may lower its own `limits.maxNodes` but never
// raise it past these. One table per process, set once by the composition root (the CLI, `aob
// dev`, every service) from its environment before it serves anything; the defaults are safe.
//
// Why a process-wide table and not a parameter: the limits bound evaluation deep inside the pure
// decider (a `map`'s items, every `{% %}` expression), whose signatures carry run state, not
// operator settings. The table is read, never written, after start-up.

export interface ServerLimits {
  /** Nodes in one workflow, whatever its `limits.maxNodes` says. */
  maxNodes: number;
  /** Items one `map` node may fan out over. */
  maxMapItems: number;
  /** `{% %}` expressions in one definition. */
  maxExpressions: number;
  /** Characters of one expression's JSONata text. */
  maxExpressionLength: number;
  /** Wall-clock milliseconds one expression evaluation may take. */
  expressionTimeMs: number;
  /** Nested evaluation steps (recursion, nesting) of one expression. */
  expressionDepth: number;
  /** Length of any array or sequence an expression produces. */
  expressionItems: number;
  /** Length, in characters, of any string an expression produces. */
  expressionStringLength: number;
  /** A run's inputs, as canonical JSON bytes. */
  maxInputBytes: number;
  /** One node attempt's output, as canonical JSON bytes. */
  maxOutputBytes: number;
}

export const DEFAULT_SERVER_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxNodes: 1_000,
  maxMapItems: 10_000,
  maxExpressions: 2_000,
  maxExpressionLength: 10_000,
  expressionTimeMs: 100,
  // jsonata overflows the JS stack near 1,360 nested steps; stop well before, with a named error.
  expressionDepth: 500,
  expressionItems: 1_000_000,
  expressionStringLength: 10_000_000,
  maxInputBytes: 1_048_576,
  maxOutputBytes: 16_777_216,
});

/** Each limit's environment variable: the one place names and limits are paired. */
export const SERVER_LIMIT_VARIABLES: Readonly<Record<keyof ServerLimits, string>> = Object.freeze({
  maxNodes: 'AOB_LIMIT_NODES',
  maxMapItems: 'AOB_LIMIT_MAP_ITEMS',
  maxExpressions: 'AOB_LIMIT_EXPRESSIONS',
  maxExpressionLength: 'AOB_LIMIT_EXPRESSION_LENGTH',
  expressionTimeMs: 'AOB_LIMIT_EXPRESSION_MS',
  expressionDepth: 'AOB_LIMIT_EXPRESSION_DEPTH',
  expressionItems: 'AOB_LIMIT_EXPRESSION_ITEMS',
  expressionStringLength: 'AOB_LIMIT_EXPRESSION_STRING',
  maxInputBytes: 'AOB_LIMIT_INPUT_BYTES',
  maxOutputBytes: 'AOB_LIMIT_OUTPUT_BYTES',
});

let current: Readonly<ServerLimits> = DEFAULT_SERVER_LIMITS;

/** The limits in force in this process. */
export function serverLimits(): Readonly<ServerLimits> {
  return current;
}

/**
 * Sets this process's limits (unset ones keep their defaults); returns the previous table so a
 * test can put it back. Throws on a value that is not a positive integer.
 */
export function setServerLimits(limits: Partial<ServerLimits>): Readonly<ServerLimits> {
  for (const [name, value] of Object.entries(limits)) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
      throw new RangeError(`server limit ${name} must be a positive integer, not ${value}`);
    }
  }
  const previous = current;
  current = Object.freeze({ ...DEFAULT_SERVER_LIMITS, ...stripUndefined(limits) });
  return previous;
}

function stripUndefined(limits: Partial<ServerLimits>): Partial<ServerLimits> {
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
}
