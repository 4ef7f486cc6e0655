// What one group member knows about one Kafka partition it owns: messages fetched but not yet
// handed out, and which fetched offsets are still unacknowledged, from which the offset to commit
// follows (the contiguous acknowledged prefix: Kafka stores one offset per partition).
import type { Entry } from './log.js';

/** A fetched message. `seq` is its offset; `timestamp` orders partitions of a topic on reads. */
export interface KafkaEntry extends Entry {
  readonly partition: number;
  readonly timestamp: number;
}

const COMPACT_MIN = 1024;

/**
 * Invariants: offsets are fetched in increasing order (`next` is one past the last); every
 * fetched offset is in `open` until acknowledged; `order` holds the fetched offsets in order,
 * those below `orderHead` all acknowledged, so the first open one is the lowest offset not yet
 * acknowledged and everything below it may be committed.
 */
export class PartitionState {
  /** Fetched and not yet handed to any reader. */
  private buffer: KafkaEntry[] = [];
  private bufferHead = 0;
  /** Offset after the last fetched message; refetches below it (after a rejoin) are skipped. */
  next: number | undefined;
  private order: number[] = [];
  private orderHead = 0;
  private readonly open = new Set<number>();
  /** The offset last committed (the next one the group consumes), -1 before any commit. */
  committed = -1;
  /** High watermark when the member joined; reads wait until the fetch reaches it. */
  target: number | undefined;
  paused = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get buffered(): number {
    return this.buffer.length - this.bufferHead;
  }

  /** Whether the fetch has reached the high watermark seen at join time. */
  get caughtUp(): boolean {
    return this.target === undefined || (this.next ?? -1) >= this.target;
  }

  /** Adds a fetched message; false when it was fetched before (a refetch after a rejoin). */
  add(entry: KafkaEntry): boolean {
    const offset = entry.seq;
    if (this.next !== undefined && offset < this.next) return false;
    this.next = offset + 1;
    this.buffer.push(entry);
    this.order.push(offset);
    this.open.add(offset);
    return true;
  }

  peek(): KafkaEntry | undefined {
    return this.buffer[this.bufferHead];
  }

  shift(): KafkaEntry | undefined {
    const entry = this.buffer[this.bufferHead];
    if (!entry) return undefined;
    this.bufferHead++;
    if (this.bufferHead >= COMPACT_MIN && this.bufferHead * 2 >= this.buffer.length) {
      this.buffer.splice(0, this.bufferHead);
      this.bufferHead = 0;
    }
    return entry;
  }

  /** Marks an offset acknowledged; false if it was not outstanding here. */
  ack(offset: number): boolean {
    return this.open.delete(offset);
  }

  /** Offsets fetched and not acknowledged (buffered or handed out). */
  outstanding(): IterableIterator<number> {
    return this.open.values();
  }

  /** The offset to commit if it moved past the committed one, else undefined. */
  commitable(): number | undefined {
    const order = this.order;
    while (this.orderHead < order.length && !this.open.has(order[this.orderHead] as number)) {
      this.orderHead++;
    }
    if (this.orderHead >= COMPACT_MIN && this.orderHead * 2 >= order.length) {
      order.splice(0, this.orderHead);
      this.orderHead = 0;
    }
    const first = order[this.orderHead];
    const offset = first ?? this.next;
    return offset !== undefined && offset > this.committed ? offset : undefined;
  }
}

/** Message ids are `<partition>-<offset>`: they increase per partition, not across a topic. */
export function messageId(partition: number, offset: number | string): string {
  return `${partition}-${offset}`;
}

export function parseMessageId(id: string): [partition: number, offset: number] | undefined {
  const dash = id.indexOf('-');
  if (dash <= 0) return undefined;
  const partition = Number(id.slice(0, dash));
  const offset = Number(id.slice(dash + 1));
  if (!Number.isSafeInteger(partition) || !Number.isSafeInteger(offset)) return undefined;
  return [partition, offset];
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
