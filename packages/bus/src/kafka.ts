// The Kafka adapter (kafkajs, Apache Kafka >= 3). A topic is the Kafka topic
// `${prefix}${topic}`, created up front with `partitions` partitions; a message's key picks its
// partition, so messages with one key (a run id) keep their order. A bus group is the Kafka
// consumer group `${prefix}${group}`.
//
// Producer: idempotent, acks=all, one request in flight (no reordering on retries); concurrent
// publishes share requests (kafka-publisher.ts).
// Consumer: each KafkaBus runs one kafkajs consumer per group it reads (kafka-member.ts); every
// logical consumer (`ReadOptions.consumer`) of that group in this process is served from it.
// Offsets are committed only after every earlier message of the partition was acknowledged, and
// `ack` resolves once that commit is done.
//
// Where Kafka differs from the Redis-Streams semantics of the port:
// - Message ids are `<partition>-<offset>`: they increase in publish order within a partition
//   (so within a key), not across a topic. Reads merge partitions by timestamp.
// - Redelivery after the idle timeout happens inside the process owning the partition (to any of
//   its logical consumers). Another process gets an unacknowledged message only once the
//   partition moves to it (the owner closed, crashed, or the group rebalanced); it then comes
//   back from the committed offset with `deliveries` counting from 1 again, and so do the
//   acknowledged messages behind it that could not be committed yet (at least once).
// - Offsets are committed by the member that fetched the message: `ack` on a bus that did not
//   read the message (another process) does nothing.
// - Kafka keeps no record of a group that has nothing committed and no members, so a group is
//   known to a bus once `ensureGroup` ran on it, or once Kafka has offsets or members for it.
//
// Static membership (`instanceId`): every member this bus runs joins its group with that
// `group.instance.id`. A process killed and started again under the same id is handed its
// partitions at its first JoinGroup instead of after the dead member's session timeout. The id
// must be unique among the live processes of a group and stable across restarts of one process (a
// pod's name: Kubernetes restarts a crashed container in the same pod). A second live process
// with the same id fences the first: the first bus's reads of that group then fail with
// BUS_FENCED, and it does not rejoin. A bus that closes still leaves its groups at once.
import type { Admin, Kafka, logLevel as LogLevel, Producer } from 'kafkajs';
import { kafkajs } from './client-libraries.js';
import { DEFAULT_READ_COUNT, DEFAULT_REDELIVER_AFTER_MS } from './defaults.js';
import { BusError, BusErrorCode } from './errors.js';
import { Fairness, readerKey } from './fairness.js';
import { encodeMessage } from './kafka-codec.js';
import { GroupMember, isFenced } from './kafka-member.js';
import { messageId } from './kafka-partition.js';
import { Publisher } from './kafka-publisher.js';
import type { Bus, BusMessage, BusOptions, Headers, ReadOptions } from './port.js';

export interface KafkaBusOptions extends BusOptions {
  /** Needed when `kafka` is not given (the composition root passes AOB_KAFKA_BROKERS). */
  brokers?: readonly string[];
  /** A client to use instead of building one from `brokers`. */
  kafka?: Kafka;
  clientId?: string;
  /**
   * Static group membership (KIP-345): the `group.instance.id` of this process in every group it
   * reads. Unique among live processes; the same after a restart. Default: dynamic membership.
   */
  instanceId?: string;
  /** Prepended to every topic and group name. Default ''. */
  prefix?: string;
  /**
   * Partitions of the topics this bus creates: one count, or a count per logical topic name.
   * Topics one group reads together must have the same count (see kafka-assigner.ts). Default 4.
   */
  partitions?: number | ((topic: string) => number);
  /** Replication factor of the topics this bus creates. Default 1. */
  replicationFactor?: number;
  /**
   * Topic configuration of a topic this bus creates, by logical topic name (e.g. a short
   * `retention.ms` for a topic whose messages are worth nothing a minute later). Default: none.
   */
  topicConfig?: (topic: string) => Readonly<Record<string, string>>;
  /** Consumer group timings (kafkajs defaults: 30 000, 3 000, 60 000). */
  sessionTimeout?: number;
  heartbeatInterval?: number;
  rebalanceTimeout?: number;
  /** Longest a fetch waits on the broker for new messages. Default 1 000 ms. */
  maxWaitTimeInMs?: number;
  /**
   * Longest the first read of a group waits for this process to join the group and fetch what
   * was there. Default 30 000 ms.
   */
  joinTimeoutMs?: number;
  /**
   * Fetching from a partition pauses while this many of its messages wait to be read (the fetch
   * that crosses the bound is kept whole: up to 1 MiB per partition more). Default 1 000.
   */
  maxBuffered?: number;
  /** kafkajs log level when the bus builds the client. Default WARN. */
  logLevel?: LogLevel;
}

const DEFAULT_PARTITIONS = 4;

/** How long topics being created (here or by another process) may take to get leaders. */
const TOPIC_READY_MS = 30_000;

export class KafkaBus implements Bus {
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private producer: Producer;
  private readonly publisher: Publisher;
  /** Partition counts of Kafka topics, looked up once. */
  private readonly partitionCounts = new Map<string, Promise<number>>();
  private readonly opts: KafkaBusOptions;
  private readonly prefix: string;
  private readonly redeliverAfterMs: number;
  private readonly fairness: Fairness;
  private connecting: Promise<void> | undefined;
  /** Topics known to exist, by logical name. */
  private readonly topics = new Map<string, Promise<void>>();
  /** Topics on which each group is known to exist. */
  private readonly groups = new Map<string, Set<string>>();
  private readonly members = new Map<string, GroupMember>();
  private readonly starting = new Map<string, Promise<GroupMember>>();
  /** Groups whose member was fenced by another process with this bus's instance id. */
  private readonly fenced = new Map<string, BusError>();
  private closed = false;

  constructor(opts: KafkaBusOptions = {}) {
    this.opts = opts;
    this.kafka = opts.kafka ?? buildClient(opts);
    this.prefix = opts.prefix ?? '';
    this.redeliverAfterMs = opts.redeliverAfterMs ?? DEFAULT_REDELIVER_AFTER_MS;
    this.fairness = new Fairness(opts.fairness);
    this.admin = this.kafka.admin();
    this.producer = this.newProducer();
    this.publisher = new Publisher(
      this.producer,
      (topic) => this.partitionCount(topic),
      () => this.renewProducer(),
    );
  }

  async ensureGroup(group: string, topics: readonly string[]): Promise<void> {
    this.assertOpen();
    await this.ensureTopics(topics);
    let known = this.groups.get(group);
    if (!known) this.groups.set(group, (known = new Set()));
    for (const t of topics) known.add(t);
    const member = this.members.get(group);
    if (member) await member.subscribe(topics);
  }

  async publish(topic: string, key: string, value: unknown, headers?: Headers): Promise<string> {
    this.assertOpen();
    const message = encodeMessage(topic, key, value, headers);
    await this.ensureTopics([topic]);
    const { partition, offset } = await this.publisher.publish(this.prefix + topic, message);
    return messageId(partition, offset);
  }

  async read(opts: ReadOptions): Promise<BusMessage[]> {
    this.assertOpen();
    const member = await this.member(opts.group, opts.topics);
    const count = opts.count ?? DEFAULT_READ_COUNT;
    const deadline = Date.now() + (opts.blockMs ?? 0);
    for (;;) {
      const fenced = this.fenced.get(opts.group);
      if (fenced) throw fenced;
      const messages = this.take(member, opts, count);
      const remaining = deadline - Date.now();
      if (messages.length > 0 || remaining <= 0 || this.closed || opts.topics.length === 0) {
        return messages;
      }
      const expiry = member.untilExpiry(opts.topics, Date.now(), this.redeliverAfterMs);
      await member.waitForWork(Math.min(remaining, expiry));
    }
  }

  async ack(group: string, topic: string, ids: readonly string[]): Promise<void> {
    this.assertOpen();
    await this.members.get(group)?.ack(topic, ids);
  }

  settled(group: string): boolean {
    return !this.closed && (this.members.get(group)?.settled ?? false);
  }

  async extend(group: string, consumer: string, topic: string, ids: readonly string[]) {
    this.assertOpen();
    this.members.get(group)?.extend(consumer, topic, ids, Date.now());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const members = await Promise.allSettled(this.starting.values());
    await Promise.allSettled(
      members.flatMap((m) => (m.status === 'fulfilled' ? [m.value.close()] : [])),
    );
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }

  private newProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: kafkajs().Partitioners.DefaultPartitioner,
    });
  }

  /**
   * A fresh idempotent producer (a new producer id, sequences from 0) in place of one whose
   * sequence numbers the broker no longer accepts (see kafka-publisher.ts); the old one is closed.
   */
  private async renewProducer(): Promise<Producer> {
    this.assertOpen();
    const old = this.producer;
    const fresh = this.newProducer();
    await fresh.connect();
    this.producer = fresh;
    await old.disconnect().catch(() => undefined);
    return fresh;
  }

  private assertOpen(): void {
    if (this.closed) throw new BusError(BusErrorCode.Closed, 'the bus is closed');
  }

  private connect(): Promise<void> {
    this.connecting ??= Promise.all([this.admin.connect(), this.producer.connect()]).then(
      () => undefined,
    );
    return this.connecting;
  }

  /** Creates the topics this bus has not seen yet (existing ones are left as they are). */
  private async ensureTopics(topics: readonly string[]): Promise<void> {
    await this.connect();
    const missing = topics.filter((t) => !this.topics.has(t));
    if (missing.length > 0) {
      const created = this.createTopics(missing);
      for (const t of missing) this.topics.set(t, created);
      created.catch(() => {
        for (const t of missing) if (this.topics.get(t) === created) this.topics.delete(t);
      });
    }
    await Promise.all(topics.map((t) => this.topics.get(t)));
  }

  /**
   * Creates the missing topics and returns once every partition of every topic asked for has a
   * leader. Another process may be creating the same topics at the same moment: then the broker
   * answers "does not host this topic-partition" or "leader not available" for a while, which is
   * waited out (up to TOPIC_READY_MS), not reported.
   */
  private async createTopics(topics: readonly string[]): Promise<void> {
    const names = topics.map((t) => this.prefix + t);
    const deadline = Date.now() + TOPIC_READY_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        const existing = new Set(await this.admin.listTopics());
        const missing = names.filter((t) => !existing.has(t));
        if (missing.length > 0) {
          // createTopics ignores topics that exist (another process may create one meanwhile).
          await this.admin.createTopics({
            waitForLeaders: true,
            topics: missing.map((topic) => ({
              topic,
              numPartitions: this.partitionsFor(topic.slice(this.prefix.length)),
              replicationFactor: this.opts.replicationFactor ?? 1,
              configEntries: Object.entries(
                this.opts.topicConfig?.(topic.slice(this.prefix.length)) ?? {},
              ).map(([name, value]) => ({ name, value })),
            })),
          });
        }
        const { topics: meta } = await this.admin.fetchTopicMetadata({ topics: names });
        const led = meta.every(
          (m) => m.partitions.length > 0 && m.partitions.every((p) => p.leader >= 0),
        );
        if (led) return;
        throw new Error(`Kafka topics ${names.join(', ')} have partitions without a leader yet`);
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 1_000)));
      }
    }
  }

  /** How many partitions a topic this bus creates gets (by its logical name). */
  private partitionsFor(topic: string): number {
    const p = this.opts.partitions;
    return (typeof p === 'function' ? p(topic) : p) ?? DEFAULT_PARTITIONS;
  }

  private partitionCount(topic: string): Promise<number> {
    let count = this.partitionCounts.get(topic);
    if (!count) {
      count = this.admin.fetchTopicMetadata({ topics: [topic] }).then((m) => {
        const n = m.topics[0]?.partitions.length ?? 0;
        if (n === 0) throw new Error(`Kafka topic ${topic} has no partitions`);
        return n;
      });
      this.partitionCounts.set(topic, count);
      count.catch(() => this.partitionCounts.delete(topic));
    }
    return count;
  }

  /** The running member for a group, started (and caught up) on first use. */
  private async member(group: string, topics: readonly string[]): Promise<GroupMember> {
    const fenced = this.fenced.get(group);
    if (fenced) throw fenced;
    await this.connect();
    await this.checkGroup(group, topics);
    let starting = this.starting.get(group);
    if (!starting) {
      starting = this.startMember(group);
      this.starting.set(group, starting);
      starting.catch(() => this.starting.delete(group));
    }
    const member = await starting;
    await member.subscribe(topics);
    await member.ready(this.opts.joinTimeoutMs ?? 30_000);
    return member;
  }

  private async startMember(group: string): Promise<GroupMember> {
    const member = new GroupMember({
      kafka: this.kafka,
      admin: this.admin,
      groupId: this.prefix + group,
      ...(this.opts.instanceId ? { groupInstanceId: this.opts.instanceId } : {}),
      prefix: this.prefix,
      sessionTimeout: this.opts.sessionTimeout ?? 30_000,
      heartbeatInterval: this.opts.heartbeatInterval ?? 3_000,
      rebalanceTimeout: this.opts.rebalanceTimeout ?? 60_000,
      maxWaitTimeInMs: this.opts.maxWaitTimeInMs ?? 1_000,
      maxBuffered: this.opts.maxBuffered ?? 1_000,
      onError: (err) => this.onMemberError(group, err),
      onWarning: (err) => process.emitWarning(`KafkaBus group ${group}: ${String(err)}`),
    });
    this.members.set(group, member);
    await member.subscribe(this.groups.get(group) ?? []);
    return member;
  }

  /** A member whose consumer failed for good is replaced on the next read. */
  private onMemberError(group: string, err: unknown): void {
    const member = this.members.get(group);
    this.members.delete(group);
    this.starting.delete(group);
    if (isFenced(err)) {
      const message =
        `Kafka group ${this.prefix + group}: another live process joined with instance id ` +
        `"${this.opts.instanceId}" (FENCED_INSTANCE_ID); instance ids must be unique per process`;
      this.fenced.set(group, new BusError(BusErrorCode.Fenced, message, { cause: err }));
    }
    process.emitWarning(`KafkaBus group ${group}: ${String(err)}`);
    void member?.close().catch(() => undefined);
  }

  /** Throws NoGroup unless the group is known on every topic (here or by Kafka). */
  private async checkGroup(group: string, topics: readonly string[]): Promise<void> {
    let known = this.groups.get(group);
    const unknown = topics.filter((t) => !known?.has(t));
    if (unknown.length === 0) return;
    const groupId = this.prefix + group;
    const [description] = (await this.admin.describeGroups([groupId])).groups;
    const hasMembers = (description?.members.length ?? 0) > 0;
    for (const topic of unknown) {
      if (!hasMembers && !(await this.hasOffsets(groupId, topic))) {
        throw new BusError(BusErrorCode.NoGroup, `no group ${group} on topic ${topic}`);
      }
      if (!known) this.groups.set(group, (known = new Set()));
      known.add(topic);
      this.topics.set(topic, Promise.resolve());
    }
  }

  private async hasOffsets(groupId: string, topic: string): Promise<boolean> {
    try {
      const [offsets] = await this.admin.fetchOffsets({ groupId, topics: [this.prefix + topic] });
      return offsets?.partitions.some((p) => Number(p.offset) >= 0) ?? false;
    } catch {
      return false; // the topic does not exist
    }
  }

  /** Serves the read from the first topic (in fairness order) that has messages. */
  private take(member: GroupMember, opts: ReadOptions, count: number): BusMessage[] {
    const reader = readerKey(opts.group, opts.consumer);
    const last = opts.topics.length - 1;
    const { indices, fair } = this.fairness.order(reader, last + 1);
    const now = Date.now();
    for (const index of indices) {
      const topic = opts.topics[index] as string;
      const messages = member.take(topic, opts.consumer, count, now, this.redeliverAfterMs);
      if (messages.length > 0) {
        this.fairness.record(reader, fair, index, last);
        return messages;
      }
    }
    return [];
  }
}

function buildClient(opts: KafkaBusOptions): Kafka {
  // The adapter reads no environment: the composition root passes AOB_KAFKA_BROKERS as `brokers`.
  const brokers = opts.brokers;
  if (!brokers || brokers.length === 0) throw new Error('KafkaBus needs brokers: pass `brokers`');
  return new (kafkajs().Kafka)({
    clientId: opts.clientId ?? 'aob',
    brokers: [...brokers],
    logLevel: opts.logLevel ?? kafkajs().logLevel.WARN,
  });
}
