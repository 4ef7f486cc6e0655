import { publishAll } from '@aob/bus';
import type { Bus, OutgoingMessage } from '@aob/bus';
import type { AnyRunEvent } from '@aob/core';
import { Topic } from '@aob/core';

/**
 * Publishes committed events on `aob.workflow.events` for live watchers (fanout), after the commit
 * and without the outbox: the log is the truth and the topic a notification of it, so a watcher
 * that sees a seq jump reads the gap from the store. Keeping events out of the outbox cuts its
 * rows — and their insert, claim and mark — by more than two thirds.
 *
 * The events of every decision committed in one turn of the event loop (a group commit resolves
 * many runs' decisions together) are published together, in commit order, once that turn ends:
 * one `publishAll`, which on Redis Streams is one write to the socket instead of one per event.
 * Order holds across flushes too (every adapter keeps call order), so a run's events arrive in
 * seq order. Nobody waits on it: a failed publish is a warning, and watchers catch up from the log.
 */
export class EventAnnouncer {
  private queue: OutgoingMessage[] = [];
  private scheduled = false;
  private closed = false;

  constructor(private readonly bus: Bus) {}

  announce(runId: string, events: readonly AnyRunEvent[]): void {
    if (this.closed) return;
    for (const e of events) this.queue.push({ topic: Topic.events, key: runId, value: e });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Publishes what is queued at once; later announcements are dropped. */
  close(): void {
    this.flush();
    this.closed = true;
  }

  private flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    publishAll(this.bus, batch).catch((err: unknown) => {
      if (this.closed) return;
      const runs = [...new Set(batch.map((m) => m.key))];
      const named = runs.slice(0, 5).join(', ') + (runs.length > 5 ? `, … (${runs.length})` : '');
      process.emitWarning(`aob: events of ${named} not announced: ${String(err)}`);
    });
  }
}
