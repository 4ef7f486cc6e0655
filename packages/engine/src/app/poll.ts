// The one waiting loop: every "until the store shows X" wait (a run to end, a patch verdict, a
// decision to land, a started run to appear) polls through here, so each has a deadline, a
// bounded interval and, where the process can hear changes, an early wake instead of a full
// interval of latency.

export interface PollOptions {
  /** Give up after this long (default: never). */
  timeoutMs?: number;
  /** The longest pause between looks. */
  everyMs: number;
  /**
   * Subscribes to "something may have changed" (the local engine's appended events): a call
   * ends the current pause at once. Returns the unsubscribe.
   */
  changes?: (poke: () => void) => () => void;
}

/**
 * Calls `look` until it returns a value (not undefined), and resolves with it; resolves with
 * undefined once the timeout has passed after a last look. `look` runs at least once.
 */
export async function pollUntil<T>(
  look: () => Promise<T | undefined>,
  opts: PollOptions,
): Promise<T | undefined> {
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  let poke: (() => void) | undefined;
  let poked = false;
  // Subscribed before the first look, so a change in between is not missed.
  const off = opts.changes?.(() => {
    poked = true;
    poke?.();
  });
  try {
    for (;;) {
      poked = false;
      const found = await look();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      if (poked) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, Math.min(opts.everyMs, left)));
        poke = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      poke = undefined;
    }
  } finally {
    off?.();
  }
}
