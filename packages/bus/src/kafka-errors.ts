// Broker errors behind a kafkajs error: a protocol error's `type` (`FENCED_INSTANCE_ID`,
// `UNKNOWN_PRODUCER_ID`, …), found however kafkajs wrapped it (retries exceeded, not retriable:
// `cause`, `originalError`).
export function hasKafkaErrorType(err: unknown, types: ReadonlySet<string>): boolean {
  for (
    let e = err as { type?: unknown; cause?: unknown; originalError?: unknown } | undefined,
      depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (typeof e.type === 'string' && types.has(e.type)) return true;
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return false;
}
