// Token deltas from a runner to whoever shows timelines (ARCHITECTURE §7): published on
// `aob.node.deltas` (a topic kept only briefly, never the event log) — by a cluster runner on the
// bus, by a runner outside the cluster through the API, which publishes them there. A runner never waits for
// them: `push` only queues; one publish at a time drains the queue; a queue past its bound drops
// its oldest deltas — a live view wants the newest text, and the whole output is recorded when
// the node finishes. So a slow bus (or a slow reader behind it) costs display, never a job.
import type { NodeDelta } from '@aob/client';
import { Topic } from '@aob/core';
import type { Bus } from '@aob/bus';

/** Deltas a runner holds at most while the bus is slow. */
export const DEFAULT_DELTA_CAPACITY = 1_024;

export interface DeltaPublisherOptions {
  /** Where deltas go: the bus (`aob.node.deltas`), or `send` (a batch at a time: an HTTP post). */
  bus?: Pick<Bus, 'publish'>;
  send?: (batch: NodeDelta[]) => Promise<void>;
  /** Deltas held at most; past it the oldest go. Default DEFAULT_DELTA_CAPACITY. */
  capacity?: number;
  /** A publish that failed (its deltas are gone; the next ones are tried). */
  onError?: (err: unknown) => void;
}

export class DeltaPublisher {
  private queue: NodeDelta[] = [];
  private sending: Promise<void> | undefined;
  private closed = false;
  private readonly capacity: number;
  private readonly send: (batch: NodeDelta[]) => Promise<void>;
  /** Published, dropped for room, lost with a failed publish (diagnostics, tests). */
  readonly counters = { published: 0, dropped: 0, failed: 0 };

  constructor(private readonly opts: DeltaPublisherOptions) {
    this.capacity = opts.capacity ?? DEFAULT_DELTA_CAPACITY;
    const bus = opts.bus;
    if ((bus === undefined) === (opts.send === undefined)) {
      throw new TypeError('DeltaPublisher: give exactly one of bus and send');
    }
    // In call order: every adapter keeps it, so a run's deltas arrive in order.
    this.send =
      opts.send ??
      (async (batch) => {
        await Promise.all(batch.map((d) => bus!.publish(Topic.deltas, d.runId, d)));
      });
    if (!Number.isInteger(this.capacity) || this.capacity < 1) {
      throw new RangeError(
        `DeltaPublisher: capacity must be an integer >= 1, got ${this.capacity}`,
      );
    }
  }

  /** Queues a delta; returns at once, whatever the bus is doing. */
  push(delta: NodeDelta): void {
    if (this.closed) return;
    this.queue.push(delta);
    const over = this.queue.length - this.capacity;
    if (over > 0) {
      this.queue.splice(0, over);
      this.counters.dropped += over;
    }
    if (!this.sending) this.sending = this.drain();
  }

  /** Resolves once everything pushed so far is published (or failed). */
  async idle(): Promise<void> {
    while (this.sending) await this.sending;
  }

  /**
   * Takes no more deltas, and waits for the publish in flight; what is queued is dropped (a
   * stopping runner must not wait on a slow bus for display text).
   */
  async close(): Promise<void> {
    this.closed = true;
    this.counters.dropped += this.queue.length;
    this.queue = [];
    await this.sending;
  }

  /** Publishes what is queued, batch after batch, until the queue is empty. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.send(batch);
        this.counters.published += batch.length;
      } catch (err) {
        this.counters.failed += batch.length;
        try {
          this.opts.onError?.(err);
        } catch {
          // a throwing reporter must not stop the deltas that follow
        }
      }
    }
    this.sending = undefined;
  }
}
