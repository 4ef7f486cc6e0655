// Bus errors carry a stable `code` (compare by code, never by instanceof) and whether retrying
// can help, mirroring AobError in @aob/core without depending on it.
export const BusErrorCode = {
  /** Read from a group that `ensureGroup` never created on one of the topics. */
  NoGroup: 'BUS_NO_GROUP',
  /** The bus was closed. */
  Closed: 'BUS_CLOSED',
  /** The value cannot travel as JSON (`undefined`). */
  BadValue: 'BUS_BAD_VALUE',
  /** Another live process joined the group with this bus's static instance id (Kafka). */
  Fenced: 'BUS_FENCED',
} as const;
export type BusErrorCode = (typeof BusErrorCode)[keyof typeof BusErrorCode];

export class BusError extends Error {
  readonly code: BusErrorCode;
  readonly retryable: boolean;
  constructor(
    code: BusErrorCode,
    message: string,
    opts: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'BusError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
  }
}
