// Offset commits of one group member: one commit request at a time, and acknowledgements that
// arrive while one is in flight share the next, so a burst of acks costs one or two round trips.
import type { Consumer } from 'kafkajs';
import type { PartitionState } from './kafka-partition.js';

export class Committer {
  private chain: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;

  constructor(
    private readonly prefix: string,
    private readonly consumer: () => Consumer | undefined,
    private readonly partitions: () => Iterable<PartitionState>,
  ) {}

  /** Commits every partition's acknowledged prefix; resolves once Kafka has stored it. */
  commit(): Promise<void> {
    if (this.queued) return this.queued;
    const next = this.chain.then(() => {
      this.queued = undefined;
      return this.flush();
    });
    this.queued = next;
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Resolves once no commit is in flight or queued. */
  idle(): Promise<void> {
    return this.chain;
  }

  private async flush(): Promise<void> {
    const consumer = this.consumer();
    if (!consumer) return;
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    const states: [PartitionState, number][] = [];
    for (const state of this.partitions()) {
      const offset = state.commitable();
      if (offset === undefined) continue;
      offsets.push({
        topic: this.prefix + state.topic,
        partition: state.partition,
        offset: String(offset),
      });
      states.push([state, offset]);
    }
    if (offsets.length === 0) return;
    try {
      await consumer.commitOffsets(offsets);
    } catch (err) {
      // A rebalance is under way: the member commits again after the rejoin if the partitions
      // are still its own; if they moved, their next owner gets the messages again (at least
      // once, which is the bus contract).
      if (isRebalance(err)) return;
      throw err;
    }
    for (const [state, offset] of states) if (offset > state.committed) state.committed = offset;
  }
}

const REBALANCE_ERRORS = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
]);

function isRebalance(err: unknown): boolean {
  const type = (err as { type?: unknown } | null)?.type;
  return typeof type === 'string' && REBALANCE_ERRORS.has(type);
}
