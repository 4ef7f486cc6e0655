// One member of one Kafka consumer group: the kafkajs consumer a KafkaBus runs for a group, and
// the per-partition state behind `read`, `ack` and `extend` for every logical consumer of that
// group in this process.
//
// Kafka hands each partition to one member of the group. Inside the member, messages are handed
// out to logical consumers with Redis-Streams semantics (pending per message, redelivery after
// the idle timeout to whichever consumer of this process reads next). Across processes, Kafka's
// semantics hold: a partition's unacknowledged messages stay with the process that owns it, and
// come back from the committed offset to the next owner after a rebalance or restart.
//
// With `groupInstanceId` the member is static (KIP-345): a process that restarts under the same
// id after a crash gets its partitions back at its first JoinGroup, where a dynamic member waits
// until the broker expires the dead member's session. kafkajs 2.2.4 has the protocol (JoinGroup
// v5) but no option to set the id; aob's install adds the option (patches/kafkajs+2.2.4.patch).
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { kafkajs } from './client-libraries.js';
import { coPartitionAssigner } from './kafka-assigner.js';
import { decodeMessage } from './kafka-codec.js';
import { hasKafkaErrorType } from './kafka-errors.js';
import { Committer } from './kafka-commit.js';
import type { KafkaEntry } from './kafka-partition.js';
import type { Entry } from './log.js';
import { PartitionState, parseMessageId, partitionKey } from './kafka-partition.js';
import { PendingList } from './pending.js';
import type { BusMessage } from './port.js';

export interface MemberConfig {
  kafka: Kafka;
  admin: Admin;
  /** Kafka group id (prefix + group). */
  groupId: string;
  /** Static membership: this process's `group.instance.id`, unique among live members. */
  groupInstanceId?: string;
  /** Prepended to logical topic names to form Kafka topic names. */
  prefix: string;
  sessionTimeout: number;
  heartbeatInterval: number;
  rebalanceTimeout: number;
  maxWaitTimeInMs: number;
  /** Fetching from a partition pauses while this many of its messages wait to be read. */
  maxBuffered: number;
  /** The consumer stopped for good (kafkajs gave up restarting it, or another live process has
   * taken this member's instance id). */
  onError(err: unknown): void;
  /** Something went wrong that the member works around. */
  onWarning(err: unknown): void;
}

export class GroupMember {
  private consumer: Consumer | undefined;
  private readonly subscribed = new Set<string>();
  private readonly partitions = new Map<string, PartitionState>();
  private readonly pending = new Map<string, PendingList>();
  private readonly waiters = new Set<() => void>();
  /** Bumped on every join; a readiness check of an older join is discarded. */
  private generation = 0;
  private joined = false;
  /** Joined with an assignment, and no rebalance seen since (see `settled`). */
  private inSync = false;
  private readyWaiters: (() => void)[] = [];
  private readonly committer: Committer;
  /** Partitions of the current assignment; batches for others are stale and dropped. */
  private assigned = new Set<string>();
  /**
   * Set once the first join has been caught up with (or waited for long enough): only the
   * first reads of a member wait, never reads during later rebalances.
   */
  private warm = false;
  /** Subscription changes, one at a time. */
  private subscribing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly config: MemberConfig) {
    this.committer = new Committer(
      config.prefix,
      () => this.consumer,
      () => this.partitions.values(),
    );
  }

  /** Subscribes to these topics too; a running consumer restarts (and rejoins) to add them. */
  subscribe(topics: Iterable<string>): Promise<void> {
    const list = [...topics];
    const next = this.subscribing.then(async () => {
      const missing = list.filter((t) => !this.subscribed.has(t));
      if (this.closed || (missing.length === 0 && this.consumer)) return;
      for (const t of missing) this.subscribed.add(t);
      const previous = this.consumer;
      this.consumer = undefined;
      this.joined = false;
      this.inSync = false;
      this.warm = false; // the new topics' messages are expected by the next read
      if (previous) await previous.disconnect();
      await this.start();
    });
    this.subscribing = next.catch(() => undefined);
    return next;
  }

  /** Whether the member holds its assignment: joined, and no rebalance or crash since. */
  get settled(): boolean {
    return this.inSync && !this.closed;
  }

  /** Resolves once the member has joined and fetched what was there at join time, or timed out. */
  ready(timeoutMs: number): Promise<void> {
    if (this.isReady()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== done);
        this.warm = true; // later reads do not wait again
        resolve();
      }, timeoutMs);
      this.readyWaiters.push(done);
    });
  }

  /** Idle pending messages of a topic first (claimed for `consumer`), then new ones. */
  take(
    topic: string,
    consumer: string,
    count: number,
    now: number,
    redeliverAfterMs: number,
  ): BusMessage[] {
    const pending = this.pendingOf(topic);
    const out: BusMessage[] = [];
    for (let budget = pending.size; budget > 0 && out.length < count; budget--) {
      const oldest = pending.oldest();
      if (!oldest || now - oldest.at < redeliverAfterMs) break;
      const claimed = pending.deliver(oldest.entry, consumer, oldest.deliveries + 1, now);
      out.push(toMessage(topic, oldest.entry, claimed.deliveries));
    }
    if (out.length >= count) return out;
    const states = [...this.partitions.values()].filter((s) => s.topic === topic && s.buffered);
    while (out.length < count && states.length > 0) {
      // Across partitions, oldest first: close to publish order, exact per partition.
      let best = 0;
      for (let i = 1; i < states.length; i++) {
        if (earlier(states[i] as PartitionState, states[best] as PartitionState)) best = i;
      }
      const state = states[best] as PartitionState;
      const entry = state.shift() as KafkaEntry;
      if (state.buffered === 0) states.splice(best, 1);
      pending.deliver(entry, consumer, 1, now);
      out.push(toMessage(topic, entry, 1));
    }
    this.resumeDrained(topic);
    return out;
  }

  /** Records acknowledgements and commits what became contiguous; resolves once committed. */
  async ack(topic: string, ids: readonly string[]): Promise<void> {
    const pending = this.pendingOf(topic);
    let moved = false;
    for (const id of ids) {
      const parsed = parseMessageId(id);
      if (!parsed) continue;
      const state = this.partitions.get(partitionKey(topic, parsed[0]));
      if (!state) continue; // not ours (any more): its next owner delivers it again
      pending.remove(id);
      if (state.ack(parsed[1]) && state.commitable() !== undefined) moved = true;
    }
    if (moved) await this.committer.commit();
  }

  extend(consumer: string, topic: string, ids: readonly string[], now: number): void {
    const pending = this.pendingOf(topic);
    for (const id of ids) {
      const delivery = pending.get(id);
      if (delivery) pending.deliver(delivery.entry, consumer, delivery.deliveries, now);
    }
  }

  /** Milliseconds until the oldest pending message of these topics becomes redeliverable. */
  untilExpiry(topics: readonly string[], now: number, redeliverAfterMs: number): number {
    let soonest = Infinity;
    for (const topic of topics) {
      const oldest = this.pending.get(topic)?.oldest();
      if (oldest) soonest = Math.min(soonest, oldest.at + redeliverAfterMs);
    }
    return soonest === Infinity ? Infinity : Math.max(1, soonest - now);
  }

  /** Resolves when messages arrive, the member closes, or after `ms`. */
  waitForWork(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waiters.add(wake);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeAll();
    for (const w of this.readyWaiters.splice(0)) w();
    await this.subscribing;
    await this.committer.idle();
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) await consumer.disconnect();
  }

  private async start(): Promise<void> {
    const { kafka, groupId, prefix } = this.config;
    const consumer = kafka.consumer({
      groupId,
      // Ours first; round-robin too, so members of an older build still agree on a protocol.
      partitionAssigners: [coPartitionAssigner, kafkajs().PartitionAssigners.roundRobin],
      sessionTimeout: this.config.sessionTimeout,
      heartbeatInterval: this.config.heartbeatInterval,
      rebalanceTimeout: this.config.rebalanceTimeout,
      maxWaitTimeInMs: this.config.maxWaitTimeInMs,
      ...(this.config.groupInstanceId ? { groupInstanceId: this.config.groupInstanceId } : {}),
      // Fenced: another live process joined with this instance id. Rejoining would fence it in
      // turn, back and forth, so the member stops and says so (as Kafka's Java client does).
      retry: { restartOnFailure: async (err) => !isFenced(err) },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      if (this.consumer !== consumer) return;
      this.onJoin(event.payload.memberAssignment).catch((err) => this.config.onWarning(err));
    });
    consumer.on(consumer.events.REBALANCING, () => {
      if (this.consumer === consumer) this.inSync = false;
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (this.consumer === consumer) this.inSync = false;
      if (!event.payload.restart) this.config.onError(event.payload.error);
    });
    await consumer.connect();
    // Without a committed offset a partition starts at its oldest retained message, so a group
    // sees what was published before it first read (like XGROUP CREATE … 0).
    await consumer.subscribe({
      topics: [...this.subscribed].map((t) => prefix + t),
      fromBeginning: true,
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: (payload) => this.onBatch(consumer, payload),
    });
  }

  private async onBatch(consumer: Consumer, { batch }: EachBatchPayload): Promise<void> {
    if (this.consumer !== consumer || this.closed || batch.isEmpty()) return;
    const topic = batch.topic.slice(this.config.prefix.length);
    if (!this.assigned.has(partitionKey(topic, batch.partition))) return; // not ours any more
    const state = this.partition(topic, batch.partition);
    let added = false;
    for (const message of batch.messages) {
      if (state.add(decodeMessage(batch.partition, message))) added = true;
    }
    if (state.buffered >= this.config.maxBuffered && !state.paused) {
      state.paused = true;
      consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
    }
    if (added) this.wakeAll();
    this.checkReady();
  }

  /** Reconciles partition state with a new assignment and computes what "caught up" means. */
  private async onJoin(assignment: Record<string, number[]>): Promise<void> {
    const generation = ++this.generation;
    const prefix = this.config.prefix;
    const assigned = new Set<string>();
    const topics: string[] = [];
    for (const [full, partitions] of Object.entries(assignment)) {
      const topic = full.slice(prefix.length);
      topics.push(topic);
      for (const p of partitions) assigned.add(partitionKey(topic, p));
    }
    this.assigned = assigned;
    for (const [key, state] of this.partitions) {
      if (!assigned.has(key)) this.drop(key, state);
    }
    const states: PartitionState[] = [];
    const fresh: { topic: string; partitions: number[] }[] = [];
    for (const [full, partitions] of Object.entries(assignment)) {
      const added: number[] = [];
      for (const p of partitions) {
        const topic = full.slice(prefix.length);
        if (!this.partitions.has(partitionKey(topic, p))) added.push(p);
        states.push(this.partition(topic, p));
      }
      if (added.length > 0) fresh.push({ topic: full, partitions: added });
    }
    // kafkajs keeps pauses across assignments; a partition that comes back starts unpaused.
    if (fresh.length > 0) this.consumer?.resume(fresh);
    // The high watermark now, and the committed offset: fetching from there to there is what a
    // reader could have expected to see at this moment.
    const { admin, groupId } = this.config;
    const fulls = topics.map((t) => prefix + t);
    let committed: Awaited<ReturnType<Admin['fetchOffsets']>>;
    let highs: Awaited<ReturnType<Admin['fetchTopicOffsets']>>[];
    try {
      [committed, ...highs] = await Promise.all([
        fulls.length ? admin.fetchOffsets({ groupId, topics: fulls }) : Promise.resolve([]),
        ...fulls.map((t) => admin.fetchTopicOffsets(t)),
      ]);
    } catch (err) {
      // Without the offsets, reads do not wait for the first fetch; nothing else depends on them.
      committed = [];
      highs = [];
      this.config.onWarning(err);
    }
    if (generation !== this.generation) return;
    const start = new Map<string, number>();
    for (const t of committed) {
      for (const p of t.partitions) {
        start.set(partitionKey(t.topic.slice(prefix.length), p.partition), Number(p.offset));
      }
    }
    topics.forEach((topic, i) => {
      for (const h of highs[i] ?? []) {
        const state = this.partitions.get(partitionKey(topic, h.partition));
        if (!state) continue;
        const from = start.get(partitionKey(topic, h.partition)) ?? -1;
        if (from > state.committed) state.committed = from;
        const begin = from >= 0 ? from : Number(h.low);
        state.target = begin >= Number(h.high) ? undefined : Number(h.high);
      }
    });
    this.joined = true;
    this.inSync = true;
    this.checkReady();
    // Acknowledgements that could not be committed during the rebalance.
    if (states.some((s) => s.commitable() !== undefined)) {
      this.committer.commit().catch((err) => this.config.onWarning(err));
    }
  }

  private isReady(): boolean {
    if (this.closed || this.warm) return true;
    if (!this.joined) return false;
    for (const state of this.partitions.values()) {
      if (!state.caughtUp && !state.paused) return false;
    }
    this.warm = true;
    return true;
  }

  private checkReady(): void {
    if (this.readyWaiters.length > 0 && this.isReady()) {
      for (const w of this.readyWaiters.splice(0)) w();
    }
  }

  private partition(topic: string, partition: number): PartitionState {
    const key = partitionKey(topic, partition);
    let state = this.partitions.get(key);
    if (!state) {
      state = new PartitionState(topic, partition);
      this.partitions.set(key, state);
    }
    return state;
  }

  /** Forgets a partition that moved to another member: its pending messages go with it. */
  private drop(key: string, state: PartitionState): void {
    this.partitions.delete(key);
    const pending = this.pending.get(state.topic);
    if (!pending) return;
    for (const offset of state.outstanding()) pending.remove(`${state.partition}-${offset}`);
  }

  private pendingOf(topic: string): PendingList {
    let pending = this.pending.get(topic);
    if (!pending) this.pending.set(topic, (pending = new PendingList()));
    return pending;
  }

  private resumeDrained(topic: string): void {
    const consumer = this.consumer;
    if (!consumer) return;
    for (const state of this.partitions.values()) {
      if (state.topic !== topic || !state.paused || state.buffered > this.config.maxBuffered / 2) {
        continue;
      }
      state.paused = false;
      consumer.resume([{ topic: this.config.prefix + topic, partitions: [state.partition] }]);
    }
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

/** Whether kafkajs failed because the broker fenced this static member (FENCED_INSTANCE_ID). */
export function isFenced(err: unknown): boolean {
  return hasKafkaErrorType(err, FENCED);
}

const FENCED = new Set(['FENCED_INSTANCE_ID']);

function earlier(a: PartitionState, b: PartitionState): boolean {
  const x = a.peek() as KafkaEntry;
  const y = b.peek() as KafkaEntry;
  return x.timestamp < y.timestamp || (x.timestamp === y.timestamp && x.partition < y.partition);
}

function toMessage(topic: string, e: Entry, deliveries: number): BusMessage {
  return { id: e.id, topic, key: e.key, value: e.value, headers: e.headers, deliveries };
}
