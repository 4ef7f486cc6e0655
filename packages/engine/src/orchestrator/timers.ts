/**
 * Arms in-process timers for a run's pending timer events. Timers are recorded in the log
 * (TimerScheduled / NodeRetryScheduled / ApprovalRequested) before they are armed here, so a
 * restart re-arms them from the log; firing one twice is harmless (decide ignores a timer it no
 * longer has).
 */
export class TimerWheel {
  private readonly armed = new Map<string, NodeJS.Timeout>();

  constructor(private readonly now: () => number) {}

  schedule(timerId: string, dueAt: number, fire: () => void): void {
    this.cancel(timerId);
    // setTimeout's limit is 2^31-1 ms; longer timers re-arm until due.
    const delay = Math.min(Math.max(0, dueAt - this.now()), 2_147_483_647);
    const handle = setTimeout(() => {
      this.armed.delete(timerId);
      if (this.now() + 1 < dueAt) this.schedule(timerId, dueAt, fire);
      else fire();
    }, delay);
    handle.unref?.();
    this.armed.set(timerId, handle);
  }

  cancel(timerId: string): void {
    const handle = this.armed.get(timerId);
    if (handle) clearTimeout(handle);
    this.armed.delete(timerId);
  }

  get size(): number {
    return this.armed.size;
  }

  clear(): void {
    for (const h of this.armed.values()) clearTimeout(h);
    this.armed.clear();
  }
}
