// Errors carry a stable string `code` and whether retrying can help. Compare by code, never by
// instanceof: errors that cross a process boundary travel as plain `ErrorData`.
export interface ErrorData {
  code: string;
  message: string;
  retryable: boolean;
  details?: unknown;
}

export interface Problem {
  code: string;
  path: string;
  message: string;
}

export class AobError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details?: unknown;
  constructor(
    code: string,
    message: string,
    opts: { retryable?: boolean; details?: unknown } = {},
  ) {
    super(message);
    this.name = 'AobError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.details = opts.details;
  }
  toData(): ErrorData {
    const data: ErrorData = { code: this.code, message: this.message, retryable: this.retryable };
    if (this.details !== undefined) data.details = this.details;
    return data;
  }
}

/** A definition, patch or request that is invalid; lists every problem, not just the first. */
export class ValidationError extends AobError {
  readonly problems: Problem[];
  constructor(problems: Problem[], what = 'definition') {
    super(
      'VALIDATION',
      `invalid ${what}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n` +
        problems.map((p) => `  ${p.path || '/'}: ${p.message} [${p.code}]`).join('\n'),
      { details: problems },
    );
    this.problems = problems;
  }
}

/** Turns anything thrown into plain error data (errors from user handlers are retryable unless they say otherwise). */
export function toErrorData(err: unknown, fallbackCode = 'HANDLER_ERROR'): ErrorData {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown; retryable?: unknown; details?: unknown };
    const data: ErrorData = {
      code: typeof e.code === 'string' ? e.code : fallbackCode,
      message: typeof e.message === 'string' ? e.message : describeThrown(err),
      retryable: typeof e.retryable === 'boolean' ? e.retryable : true,
    };
    if (e.details !== undefined) data.details = e.details;
    return data;
  }
  return { code: fallbackCode, message: String(err), retryable: true };
}

const MAX_THROWN_TEXT = 2_000;

/**
 * What a thrown value that is not an Error says: its own toString when it has one, else its
 * JSON (a thrown `{code, msg}` must not read "[object Object]"), cut to a readable length.
 */
function describeThrown(err: object): string {
  let text: string;
  if (typeof (err as { toString?: unknown }).toString === 'function' && !isPlain(err)) {
    text = String(err);
  } else {
    try {
      text = JSON.stringify(err) ?? String(err);
    } catch {
      text = Object.prototype.toString.call(err);
    }
  }
  return text.length > MAX_THROWN_TEXT ? `${text.slice(0, MAX_THROWN_TEXT)}…` : text;
}

function isPlain(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null || Array.isArray(v);
}
