// When a runner tells the orchestrator that an attempt started. A start reported on its own costs
// a bus message, a decision and an append, and for a short attempt it lands next to the result
// anyway: so a start is sent only once the attempt has run `delayMs`; an attempt that ends sooner
// carries its start in its result (`withStart`), and the orchestrator records NodeStarted and the
// outcome in one decision and one append. The log is the same; what a short attempt loses is the
// time between its start and its end (its NodeStarted is decided with its result).
export class StartReport {
  private timer: NodeJS.Timeout | undefined;
  /** The start sent on its own, once the delay passed: a result is published after it. */
  private sent: Promise<unknown> | undefined;
  private failure: { error: unknown } | undefined;

  constructor(delayMs: number, send: () => Promise<void>) {
    const sendNow = () => {
      this.sent = send().catch((error: unknown) => (this.failure = { error }));
    };
    if (delayMs <= 0) sendNow();
    else {
      this.timer = setTimeout(sendNow, delayMs);
      this.timer.unref?.();
    }
  }

  /**
   * The attempt ended: whether its result must carry the start (it was not sent). Waits for a
   * start already on its way, so the result follows it; throws if sending it failed (the job is
   * then left unacknowledged, as when any publish fails).
   */
  async ended(): Promise<boolean> {
    this.cancel();
    if (this.sent === undefined) return true;
    await this.sent;
    if (this.failure) throw this.failure.error;
    return false;
  }

  /** No start is to be sent any more (the attempt is left for another runner). */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
