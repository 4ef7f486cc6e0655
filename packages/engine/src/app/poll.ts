// The one waiting loop: every "until the store shows X" wait (a run to end, a patch verdict, a
// decision to land, a started run to appear) polls through here, so each has a deadline, a
// bounded interval and, where the process can hear changes, an early wake instead of a full
// interval of latency.

export interface PollOptions<T = unknown> {
  /** Give up after this long (default: never). */
  timeoutMs?: number;
  /** The longest pause between looks. */
  everyMs: number;
  /**
   * The first pause, when pauses grow: each look that finds nothing doubles the pause, up to
   * `everyMs`. Default: every pause is `everyMs`.
   */
  firstPauseMs?: number;
  /**
   * Subscribes to "something may have changed" (the local engine's appended events): a call
   * ends the current pause at once; a call with a value ends the wait with that value, without a
   * look (the caller heard what it waits for). Returns the unsubscribe.
   */
  changes?: (poke: (found?: T) => void) => () => void;
  /**
   * false: the first look waits a pause (or a poke) — for a wait that subscribed before the change
   * could happen, and so would only look in vain at once. Default true.
   */
  lookFirst?: boolean;
  /** Ends the wait, resolving undefined, once aborted. */
  signal?: AbortSignal;
}

/**
 * Calls `look` until it returns a value (not undefined), and resolves with it; resolves with
 * undefined once the timeout has passed after a last look, or once `signal` aborts. `look` runs at
 * least once unless the wait ends before (a heard value, `lookFirst: false`, an abort).
 */
export async function pollUntil<T>(
  look: () => Promise<T | undefined>,
  opts: PollOptions<T>,
): Promise<T | undefined> {
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  let poke: (() => void) | undefined;
  let poked = false;
  let heard: T | undefined;
  // Subscribed before the first look, so a change in between is not missed.
  const off = opts.changes?.((found) => {
    if (found !== undefined) heard ??= found;
    poked = true;
    poke?.();
  });
  const aborted = () => poke?.();
  opts.signal?.addEventListener('abort', aborted);
  try {
    let looking = opts.lookFirst !== false;
    let pause = opts.firstPauseMs ?? opts.everyMs;
    for (;;) {
      if (heard !== undefined) return heard;
      if (opts.signal?.aborted) return undefined;
      if (looking) {
        poked = false;
        const found = await look();
        if (found !== undefined) return found;
        if (heard !== undefined) return heard;
      }
      looking = true;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      if (poked) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, Math.min(pause, left)));
        poke = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      poke = undefined;
      pause = Math.min(pause * 2, opts.everyMs);
    }
  } finally {
    opts.signal?.removeEventListener('abort', aborted);
    off?.();
  }
}
