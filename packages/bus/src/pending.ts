// The pending-entries list of one consumer group on one in-memory topic.
import type { Entry } from './log.js';

/** One delivery of an entry to a consumer, not yet acknowledged. */
export interface Delivery {
  readonly entry: Entry;
  readonly consumer: string;
  readonly deliveries: number;
  /** Clock time of the delivery (or of the last `extend`). */
  readonly at: number;
  /** False once acknowledged, redelivered or extended (a newer Delivery replaces it). */
  live: boolean;
}

const COMPACT_MIN = 1024;

/**
 * Pending deliveries by message id, plus a queue of them in delivery order so the oldest one —
 * the first to pass the idle timeout — is found in amortised O(1).
 * Invariants: every Delivery in `byId` is live and sits in `queue` at an index >= `head`;
 * `dead` counts the dead Deliveries at indexes >= `head`. A redelivery or extend kills the old
 * Delivery and appends a new one, so with a monotonic clock the queue is sorted by `at`. Dead
 * Deliveries are dropped at the head, or by a full compaction once they outnumber the live ones
 * (so one long-pending message cannot pin an unbounded queue behind it).
 */
export class PendingList {
  private readonly byId = new Map<string, Delivery>();
  private queue: Delivery[] = [];
  private head = 0;
  private dead = 0;

  get size(): number {
    return this.byId.size;
  }

  /** Records a delivery, replacing any earlier one of the same entry. */
  deliver(entry: Entry, consumer: string, deliveries: number, at: number): Delivery {
    const delivery: Delivery = { entry, consumer, deliveries, at, live: true };
    const previous = this.byId.get(entry.id);
    this.byId.set(entry.id, delivery);
    this.queue.push(delivery);
    if (previous) this.kill(previous);
    return delivery;
  }

  get(id: string): Delivery | undefined {
    return this.byId.get(id);
  }

  /** Removes a pending id; returns its entry, or undefined when it was not pending. */
  remove(id: string): Entry | undefined {
    const delivery = this.byId.get(id);
    if (!delivery) return undefined;
    this.byId.delete(id);
    this.kill(delivery);
    return delivery.entry;
  }

  /** The least recently delivered pending entry. */
  oldest(): Delivery | undefined {
    const queue = this.queue;
    while (this.head < queue.length && !(queue[this.head] as Delivery).live) {
      this.head++;
      this.dead--;
    }
    if (this.head >= COMPACT_MIN && this.head * 2 >= queue.length) {
      queue.splice(0, this.head);
      this.head = 0;
    }
    return queue[this.head];
  }

  private kill(delivery: Delivery): void {
    delivery.live = false;
    this.dead++;
    if (this.dead >= COMPACT_MIN && this.dead > this.byId.size * 2) {
      const live: Delivery[] = [];
      for (let i = this.head; i < this.queue.length; i++) {
        const d = this.queue[i] as Delivery;
        if (d.live) live.push(d);
      }
      this.queue = live;
      this.head = 0;
      this.dead = 0;
    }
  }
}
