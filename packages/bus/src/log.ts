// The append-only message log of one in-memory topic.
import type { Headers } from './port.js';

/** One stored message. `value` and `headers` are shared by every delivery and never mutated. */
export interface Entry {
  readonly id: string;
  readonly seq: number;
  readonly key: string;
  readonly value: unknown;
  readonly headers: Headers;
  /** Groups that have not acknowledged this entry yet. */
  outstanding: number;
}

/** Below this many dropped slots the array is not worth compacting. */
const COMPACT_MIN = 1024;

/**
 * Entries in publish order, addressed by `seq` (1, 2, 3, …; the id is its decimal form).
 * Invariants: `entries[i].seq === base + i`; slots below `head` are dropped (every group has
 * acknowledged them) and are spliced away once they make up half the array, so trimming is
 * amortised O(1) per message and lookups by seq stay O(1).
 */
export class TopicLog {
  private entries: Entry[] = [];
  private base = 1;
  private head = 0;

  /** Seq of the oldest retained entry. */
  get start(): number {
    return this.base + this.head;
  }

  /** Seq the next appended entry gets. */
  get end(): number {
    return this.base + this.entries.length;
  }

  /** Entries held in memory (not yet acknowledged by every group). */
  get size(): number {
    return this.entries.length - this.head;
  }

  append(key: string, value: unknown, headers: Headers, outstanding: number): Entry {
    const seq = this.end;
    const entry: Entry = { id: String(seq), seq, key, value, headers, outstanding };
    this.entries.push(entry);
    return entry;
  }

  /** The entry with this seq; callers only ask for `start <= seq < end`. */
  at(seq: number): Entry | undefined {
    return this.entries[seq - this.base];
  }

  /** Visits every retained entry (used when a group is added). */
  forEachRetained(fn: (entry: Entry) => void): void {
    for (let i = this.head; i < this.entries.length; i++) fn(this.entries[i] as Entry);
  }

  /** Drops the acknowledged prefix. */
  trim(): void {
    const entries = this.entries;
    while (this.head < entries.length && (entries[this.head] as Entry).outstanding === 0) {
      this.head++;
    }
    if (this.head >= COMPACT_MIN && this.head * 2 >= entries.length) {
      entries.splice(0, this.head);
      this.base += this.head;
      this.head = 0;
    }
  }
}
