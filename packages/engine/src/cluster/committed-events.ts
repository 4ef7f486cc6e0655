// Where a process runs an orchestrator beside the API (or the HITL service), the API's waits — a
// start until RunStarted, a run until it ends, a decision until it lands, a patch until its
// verdict — need not wait out a poll interval to see what that orchestrator just committed: the
// orchestrator tells this hub, and the waits listening on a run wake at once. Runs driven by
// other processes are still seen by polling, so nothing depends on the hub; it only saves time.
import type { AnyRunEvent } from '@aob/core';

type Listener = (event: AnyRunEvent) => void;

export class CommittedEvents {
  private readonly listeners = new Map<string, Set<Listener>>();

  /** Called by the orchestrator with the events of a decision, after their commit. */
  readonly publish = (events: readonly AnyRunEvent[]): void => {
    for (const e of events) {
      const heard = this.listeners.get(e.runId);
      if (heard) for (const listener of [...heard]) listener(e);
    }
  };

  /** `RunControlDeps.changes`: hears the committed events of one run; returns the unsubscribe. */
  readonly changes = (runId: string, listener: Listener): (() => void) => {
    let heard = this.listeners.get(runId);
    if (!heard) this.listeners.set(runId, (heard = new Set()));
    heard.add(listener);
    return () => {
      heard.delete(listener);
      if (heard.size === 0) this.listeners.delete(runId);
    };
  };

  /** Runs someone is listening on (for tests and gauges). */
  get listenedRuns(): number {
    return this.listeners.size;
  }
}
