// The bus port: Redis-Streams semantics, implemented by the in-memory, Redis Streams and (later)
// Kafka adapters. One conformance suite (conformance.ts) runs against every adapter.

export type Headers = Record<string, string>;

export interface BusMessage {
  /** Adapter-assigned id, unique within the topic, increasing in publish order. */
  id: string;
  topic: string;
  key: string;
  /** The payload, JSON-decoded. */
  value: unknown;
  headers: Headers;
  /** 1 on first delivery, incremented on every redelivery. */
  deliveries: number;
}

export interface ReadOptions {
  group: string;
  consumer: string;
  /**
   * Topics in priority order. A read returns messages from the first topic that has any, so
   * higher-priority topics drain first (see `fairness` for how lower ones avoid starvation).
   */
  topics: readonly string[];
  /** Most messages to return. Default 100. */
  count?: number;
  /** How long to wait for a message when none is ready. 0 = do not wait. */
  blockMs?: number;
}

/** A message to publish (`Bus.publish`'s arguments). */
export interface OutgoingMessage {
  topic: string;
  key: string;
  value: unknown;
  headers?: Headers;
}

export interface Bus {
  /** Creates topics (streams) and the consumer group on each, if missing. Idempotent. */
  ensureGroup(group: string, topics: readonly string[]): Promise<void>;
  /** Appends a message. Messages with the same key are delivered in publish order. */
  publish(topic: string, key: string, value: unknown, headers?: Headers): Promise<string>;
  /**
   * Appends messages in order, exactly as publishing them one after another would, and resolves
   * with their ids. An adapter that can send them together implements it (Redis Streams: one
   * pipeline, one write to the socket); callers use `publishAll`, which falls back to `publish`.
   */
  publishMany?(messages: readonly OutgoingMessage[]): Promise<string[]>;
  /**
   * Reads for a consumer of a group: first messages delivered earlier to any consumer of the
   * group and left unacknowledged for longer than the idle timeout (redelivery), then new ones.
   */
  read(opts: ReadOptions): Promise<BusMessage[]>;
  /** Acknowledges messages so they are never delivered to the group again. */
  ack(group: string, topic: string, ids: readonly string[]): Promise<void>;
  /**
   * Whether this process takes part in the group with a settled share of its messages: joined,
   * not rebalancing (readiness: a consumer in the middle of a rebalance owns nothing yet). Buses
   * without rebalances (in-memory, Redis Streams) leave it out: always settled.
   */
  settled?(group: string): boolean;
  /** Tells the bus the consumer is still working on these messages (resets their idle time). */
  extend?(group: string, consumer: string, topic: string, ids: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export interface BusOptions {
  /** Unacknowledged messages idle longer than this are redelivered. Default 30 000 ms. */
  redeliverAfterMs?: number;
  /**
   * Every Nth read that finds a higher-priority topic ready looks at the topics in reverse
   * order instead, so low-priority work always progresses. Default 8.
   */
  fairness?: number;
}
