// Errors carry a stable string `code` and whether retrying can help. Compare by code, never by
// instanceof: errors that cross a process boundary travel as plain `ErrorData`. aob's own codes
// are catalogued (error-codes.ts), and an AobError takes only those; a code from elsewhere (a
// user handler's, one read back from the log) keeps its string in ErrorData.
import type { ErrorCode } from './error-codes.js';
import { retryableByDefault } from './error-codes.js';

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
  /** `retryable` defaults to the catalogue's answer for the code. */
  constructor(
    code: ErrorCode,
    message: string,
    opts: { retryable?: boolean; details?: unknown } = {},
  ) {
    super(message);
    this.name = 'AobError';
    this.code = code;
    this.retryable = opts.retryable ?? retryableByDefault(code);
    this.details = opts.details;
  }

  /**
   * An error again from its data (read back from the log, received from another process): its
   * code is kept as it came, catalogued or not.
   */
  static fromData(data: ErrorData): AobError {
    return new AobError(data.code as ErrorCode, data.message, {
      retryable: data.retryable,
      ...(data.details !== undefined ? { details: data.details } : {}),
    });
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

/**
 * Turns anything thrown into plain error data. Whether it is retryable, when it does not say, is
 * the catalogue's answer for its code (retryable for a user handler's own codes).
 */
export function toErrorData(err: unknown, fallbackCode: ErrorCode = 'HANDLER_ERROR'): ErrorData {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown; retryable?: unknown; details?: unknown };
    const code = typeof e.code === 'string' ? e.code : fallbackCode;
    const data: ErrorData = {
      code,
      message: typeof e.message === 'string' ? e.message : describeThrown(err),
      retryable: typeof e.retryable === 'boolean' ? e.retryable : retryableByDefault(code),
    };
    if (e.details !== undefined) data.details = e.details;
    return data;
  }
  return { code: fallbackCode, message: String(err), retryable: retryableByDefault(fallbackCode) };
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
