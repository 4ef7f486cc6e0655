// The Redis Streams adapter (ioredis, Redis >= 7). A topic is the stream `${prefix}${topic}`.
// New messages come from XREADGROUP `>`, idle pending ones from XAUTOCLAIM; delivery counts
// live in Redis (the pending-entries list), so they survive restarts of every consumer.
//
// A reader looks for idle messages of a topic on its first read and then at most every
// `claimEveryMs` (a quarter of the redelivery timeout, at most a second), not on every read: a
// message becomes idle only `redeliverAfterMs` after its delivery, so looking more often finds
// nothing sooner than a quarter of that later, and a busy reader would otherwise send an
// XAUTOCLAIM per topic per read (five of them a step of a chain, in the peers benchmark).
import type { Redis } from 'ioredis';
import { ioredis } from './client-libraries.js';
import { DEFAULT_READ_COUNT, DEFAULT_REDELIVER_AFTER_MS } from './defaults.js';
import { BusError, BusErrorCode } from './errors.js';
import { Fairness, readerKey } from './fairness.js';
import { BlockingConnections } from './redis-blocking.js';
import {
  decodeMessage,
  encodeFields,
  parseAutoclaim,
  parseDeliveryCount,
  parseStreams,
} from './redis-codec.js';
import type { RawEntry } from './redis-codec.js';
import type { Bus, BusMessage, BusOptions, Headers, OutgoingMessage, ReadOptions } from './port.js';

export interface RedisStreamsBusOptions extends BusOptions {
  /**
   * Used when `redis` is not given. Default redis://127.0.0.1:6379. The adapter reads no
   * environment: the composition root passes what it was configured with (AOB_REDIS_URL).
   */
  url?: string;
  /** A client to use; the bus does not close it (it does close its own blocking duplicates). */
  redis?: Redis;
  /** Prepended to every topic to form the stream key. Default 'aob:'. */
  prefix?: string;
  /**
   * Most entries a topic's stream keeps, roughly (XADD MAXLEN ~), by topic: for a topic whose
   * messages are worth nothing soon after (token deltas). Undefined: the stream is not trimmed.
   */
  maxLength?: (topic: string) => number | undefined;
}

const DEFAULT_URL = 'redis://127.0.0.1:6379';

export class RedisStreamsBus implements Bus {
  private readonly redis: Redis;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly maxLength: RedisStreamsBusOptions['maxLength'];
  private readonly redeliverAfterMs: number;
  private readonly fairness: Fairness;
  private readonly blocking: BlockingConnections;
  /**
   * Messages a blocking read received beyond its `count` (XREADGROUP's COUNT is per stream),
   * by reader and topic list. They are already pending for that consumer in Redis, so the reader's next read
   * returns them first; if it never reads again they are redelivered like any unacked message.
   */
  private readonly held = new Map<string, BusMessage[]>();
  /** When each reader last looked for idle messages of each topic (`reader\0topic`). */
  private readonly lastClaim = new Map<string, number>();
  private readonly claimEveryMs: number;
  private closed = false;

  constructor(opts: RedisStreamsBusOptions = {}) {
    this.ownsClient = opts.redis === undefined;
    this.redis = opts.redis ?? new (ioredis().Redis)(opts.url ?? DEFAULT_URL);
    this.prefix = opts.prefix ?? 'aob:';
    this.maxLength = opts.maxLength;
    this.redeliverAfterMs = opts.redeliverAfterMs ?? DEFAULT_REDELIVER_AFTER_MS;
    this.claimEveryMs = Math.min(1_000, this.redeliverAfterMs / 4);
    this.fairness = new Fairness(opts.fairness);
    this.blocking = new BlockingConnections(this.redis);
  }

  async ensureGroup(group: string, topics: readonly string[]): Promise<void> {
    this.assertOpen();
    await Promise.all(
      topics.map(async (topic) => {
        try {
          // Start at 0: messages published before the group existed are delivered too.
          await this.redis.call('XGROUP', ['CREATE', this.key(topic), group, '0', 'MKSTREAM']);
        } catch (err) {
          if (!errorMessage(err).startsWith('BUSYGROUP')) throw err;
        }
      }),
    );
  }

  async publish(topic: string, key: string, value: unknown, headers?: Headers): Promise<string> {
    this.assertOpen();
    const id = await this.redis.call('XADD', this.xaddArgs({ topic, key, value, headers }));
    return String(id);
  }

  /** One pipeline: the XADDs go to Redis in one write, in order, behind any earlier command. */
  async publishMany(messages: readonly OutgoingMessage[]): Promise<string[]> {
    this.assertOpen();
    const pipeline = this.redis.pipeline();
    for (const m of messages) pipeline.call('XADD', this.xaddArgs(m));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([err, id]) => {
      if (err) throw err;
      return String(id);
    });
  }

  private xaddArgs(m: OutgoingMessage): string[] {
    const fields = encodeFields(m.topic, m.key, m.value, m.headers);
    const max = this.maxLength?.(m.topic);
    const trim = max === undefined ? [] : ['MAXLEN', '~', String(max)];
    return [this.key(m.topic), ...trim, '*', ...fields];
  }

  async read(opts: ReadOptions): Promise<BusMessage[]> {
    this.assertOpen();
    const count = opts.count ?? DEFAULT_READ_COUNT;
    const reader = readerKey(opts.group, opts.consumer);
    const heldKey = `${reader}\u0000${opts.topics.join('\u0000')}`;
    const held = this.held.get(heldKey);
    if (held) {
      if (held.length <= count) this.held.delete(heldKey);
      return held.splice(0, count);
    }
    const last = opts.topics.length - 1;
    const { indices, fair } = this.fairness.order(reader, last + 1);
    for (const index of indices) {
      const messages = await this.readTopic(opts.topics[index] as string, opts, count, reader);
      if (messages.length > 0) {
        this.fairness.record(reader, fair, index, last);
        return messages;
      }
    }
    if (!opts.blockMs || opts.blockMs <= 0 || last < 0) return [];
    const messages = await this.blockingRead(opts, count, opts.blockMs);
    const first = messages[0];
    if (first) this.fairness.record(reader, false, opts.topics.indexOf(first.topic), last);
    if (messages.length > count) this.held.set(heldKey, messages.splice(count));
    return messages;
  }

  async ack(group: string, topic: string, ids: readonly string[]): Promise<void> {
    this.assertOpen();
    if (ids.length === 0) return;
    await this.redis.call('XACK', [this.key(topic), group, ...ids]);
  }

  async extend(group: string, consumer: string, topic: string, ids: readonly string[]) {
    this.assertOpen();
    if (ids.length === 0) return;
    // JUSTID: resets the idle time (and owner) without counting a delivery; ids no longer
    // pending are ignored.
    await this.redis.call('XCLAIM', [this.key(topic), group, consumer, '0', ...ids, 'JUSTID']);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.blocking.close();
    if (this.ownsClient) await this.redis.quit();
  }

  private key(topic: string): string {
    return this.prefix + topic;
  }

  private assertOpen(): void {
    if (this.closed) throw new BusError(BusErrorCode.Closed, 'the bus is closed');
  }

  /** Idle pending messages of one topic (claimed for the consumer), then new ones. */
  private async readTopic(topic: string, opts: ReadOptions, count: number, reader: string) {
    const key = this.key(topic);
    const claimAt = `${reader}\u0000${topic}`;
    try {
      const claimed = this.claimDue(claimAt) ? await this.claimIdle(topic, key, opts, count) : [];
      if (claimed.length >= count) {
        // A full batch: more may be idle, so the next read looks again.
        this.lastClaim.delete(claimAt);
        return claimed;
      }
      const reply = await this.redis.call('XREADGROUP', [
        'GROUP',
        opts.group,
        opts.consumer,
        'COUNT',
        count - claimed.length,
        'STREAMS',
        key,
        '>',
      ]);
      const fresh = parseStreams(reply).get(key) ?? [];
      for (const raw of fresh) claimed.push(decodeMessage(topic, raw, 1));
      return claimed;
    } catch (err) {
      throw this.translate(err, opts.group, topic);
    }
  }

  /** Whether a reader's look for idle messages of a topic (`reader\0topic`) is due; notes it if so. */
  private claimDue(at: string): boolean {
    const now = Date.now();
    const last = this.lastClaim.get(at);
    if (last !== undefined && now - last < this.claimEveryMs) return false;
    this.lastClaim.set(at, now);
    return true;
  }

  private async claimIdle(topic: string, key: string, opts: ReadOptions, count: number) {
    const reply = await this.redis.call('XAUTOCLAIM', [
      key,
      opts.group,
      opts.consumer,
      this.redeliverAfterMs,
      '0-0',
      'COUNT',
      count,
    ]);
    const entries = parseAutoclaim(reply);
    if (entries.length === 0) return [];
    return this.withDeliveryCounts(topic, key, opts.group, entries);
  }

  /**
   * XAUTOCLAIM increments delivery counts but does not return them: read them back with one
   * pipelined XPENDING per entry. An entry no longer pending was acknowledged by its previous
   * owner meanwhile, so it is dropped rather than processed again.
   */
  private async withDeliveryCounts(topic: string, key: string, group: string, entries: RawEntry[]) {
    const pipeline = this.redis.pipeline();
    for (const e of entries) pipeline.call('XPENDING', [key, group, e.id, e.id, 1]);
    const replies = (await pipeline.exec()) ?? [];
    const messages: BusMessage[] = [];
    entries.forEach((raw, i) => {
      const [err, reply] = replies[i] ?? [null, undefined];
      if (err) throw err;
      const deliveries = parseDeliveryCount(reply);
      if (deliveries !== undefined) messages.push(decodeMessage(topic, raw, deliveries));
    });
    return messages;
  }

  /** Waits on every topic at once; a reply may hold several topics, returned by priority. */
  private async blockingRead(opts: ReadOptions, count: number, blockMs: number) {
    const keys = opts.topics.map((t) => this.key(t));
    const conn = this.blocking.acquire();
    let reply: unknown;
    try {
      reply = await conn.call('XREADGROUP', [
        'GROUP',
        opts.group,
        opts.consumer,
        'COUNT',
        count,
        'BLOCK',
        blockMs,
        'STREAMS',
        ...keys,
        ...keys.map(() => '>'),
      ]);
    } catch (err) {
      if (this.closed) return [];
      throw this.translate(err, opts.group, opts.topics.join(', '));
    } finally {
      this.blocking.release(conn);
    }
    const byKey = parseStreams(reply);
    const messages: BusMessage[] = [];
    opts.topics.forEach((topic, i) => {
      for (const raw of byKey.get(keys[i] as string) ?? []) {
        messages.push(decodeMessage(topic, raw, 1));
      }
    });
    return messages;
  }

  private translate(err: unknown, group: string, topic: string): unknown {
    if (errorMessage(err).startsWith('NOGROUP')) {
      return new BusError(BusErrorCode.NoGroup, `no group ${group} on topic ${topic}`, {
        cause: err,
      });
    }
    return err;
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
