// Waiting for a server that is starting to serve. The process's exit ends the wait at once (a
// server that died will not answer, so there is no point in waiting out the deadline), and a
// deadline bounds it.

export interface ReadyWait {
  /** Resolves true once the server serves, false while it does not yet; never rejects. */
  probe(): Promise<boolean>;
  /**
   * Settles with why the server's process ended ("exited with code 1"); a promise that never
   * settles for a server this process did not start.
   */
  exited: Promise<string>;
  timeoutMs: number;
  /** The pause between two probes. */
  intervalMs: number;
  /** The message of the error thrown once `timeoutMs` have passed. */
  timedOut(): string;
}

/** Probes until the server serves; throws `the process <exit>` or the `timedOut()` message. */
export async function waitUntilReady(wait: ReadyWait): Promise<void> {
  const deadline = Date.now() + wait.timeoutMs;
  let exit: string | undefined;
  void wait.exited.then((e) => (exit = e));
  for (;;) {
    if (exit !== undefined) throw new Error(`the process ${exit}`);
    if (await wait.probe()) return;
    if (Date.now() > deadline) throw new Error(wait.timedOut());
    await new Promise((r) => setTimeout(r, wait.intervalMs));
  }
}
