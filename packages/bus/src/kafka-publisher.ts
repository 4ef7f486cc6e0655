// Publishes of one KafkaBus, batched: publishes made while a produce request is in flight go out
// together in the next one (one request for many messages instead of one each). Partitions are
// picked here with kafkajs's default (Java-compatible murmur2) partitioner, so each publish learns
// its offset: messages of one partition in one request get consecutive offsets, in call order.
// One request at a time keeps publish order per key, as the idempotent producer requires.
import type { Message, PartitionMetadata, Producer } from 'kafkajs';
import { kafkajs } from './client-libraries.js';
import { hasKafkaErrorType } from './kafka-errors.js';

interface Item {
  topic: string;
  message: Message;
  resolve(offset: { partition: number; offset: string }): void;
  reject(err: unknown): void;
}

/** Most messages in one produce request. */
const MAX_BATCH = 500;

/**
 * Broker answers after which kafkajs's idempotent producer never sends successfully again: its
 * producer id and sequence numbers are kept for the producer's life, and after a broker crash (or
 * a lost request) the broker rejects every later request of that id. The publisher replaces the
 * producer then (kafkajs issue #598); the publishes of the failed request are rejected as usual.
 */
const STALE_PRODUCER = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
]);

function staleProducer(err: unknown): boolean {
  return hasKafkaErrorType(err, STALE_PRODUCER);
}

export class Publisher {
  private queue: Item[] = [];
  private draining = false;
  private readonly partitioner = kafkajs().Partitioners.DefaultPartitioner();
  private readonly metadata = new Map<number, PartitionMetadata[]>();

  constructor(
    private producer: Producer,
    /** Partitions of a Kafka topic (known to exist). */
    private readonly partitions: (topic: string) => Promise<number>,
    /** A new, connected producer in place of one the broker refuses (see STALE_PRODUCER). */
    private readonly renew?: () => Promise<Producer>,
  ) {}

  publish(topic: string, message: Message): Promise<{ partition: number; offset: string }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ topic, message, resolve, reject });
      if (this.draining) return;
      this.draining = true;
      // Next turn of the event loop: publishes made in this one join the same request.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const items = this.queue.splice(0, MAX_BATCH);
      try {
        await this.send(items);
      } catch (err) {
        if (this.renew && staleProducer(err)) {
          this.producer = await this.renew().catch(() => this.producer); // tried again next time
        }
        for (const item of items) item.reject(err);
      }
    }
    this.draining = false;
  }

  private async send(items: readonly Item[]): Promise<void> {
    const groups = new Map<string, { topic: string; partition: number; items: Item[] }>();
    for (const item of items) {
      const count = await this.partitions(item.topic);
      const partition = this.partitioner({
        topic: item.topic,
        partitionMetadata: this.fakeMetadata(count),
        message: item.message,
      });
      const key = `${item.topic}\u0000${partition}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { topic: item.topic, partition, items: [] }));
      group.items.push(item);
    }
    const byTopic = new Map<string, Message[]>();
    for (const g of groups.values()) {
      let messages = byTopic.get(g.topic);
      if (!messages) byTopic.set(g.topic, (messages = []));
      for (const item of g.items) messages.push({ ...item.message, partition: g.partition });
    }
    const results = await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
    for (const r of results) {
      const group = groups.get(`${r.topicName}\u0000${r.partition}`);
      if (!group || r.baseOffset === undefined) continue;
      const base = Number(r.baseOffset);
      group.items.forEach((item, i) =>
        item.resolve({ partition: r.partition, offset: String(base + i) }),
      );
      groups.delete(`${r.topicName}\u0000${r.partition}`);
    }
    for (const g of groups.values()) {
      for (const item of g.items) item.reject(new Error(`Kafka returned no offset for ${g.topic}`));
    }
  }

  /** The partitioner only needs the number of partitions (keyed messages). */
  private fakeMetadata(count: number): PartitionMetadata[] {
    let metadata = this.metadata.get(count);
    if (!metadata) {
      metadata = Array.from({ length: count }, (_, partitionId) => ({
        partitionErrorCode: 0,
        partitionId,
        leader: 0,
        replicas: [0],
        isr: [0],
        offlineReplicas: [],
      }));
      this.metadata.set(count, metadata);
    }
    return metadata;
  }
}
