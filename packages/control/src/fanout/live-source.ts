// Live sources of committed events: the cluster's `aob.workflow.events` topic, or an in-process
// listener (`LocalEngine.onEvent` under `aob dev`). Both are notifications of the log, never the
// log itself: the hub reads gaps from the store and drops repeats, so a source may lose or repeat.
// And of token deltas (`aob.node.deltas`, or `LocalEngine.onDelta`): display text, never stored,
// which a source may lose too.
import type { AnyRunEvent } from '@aob/core';
import { Topic } from '@aob/core';
import type { Bus } from '@aob/bus';
import type { NodeDelta } from '@aob/client';
import type { DeltaSource, LiveSource } from './types.js';

/** True for a value that has the envelope fields the hub relies on. */
export function isRunEvent(value: unknown): value is AnyRunEvent {
  if (value === null || typeof value !== 'object') return false;
  const e = value as { runId?: unknown; seq?: unknown; type?: unknown };
  return (
    typeof e.runId === 'string' &&
    typeof e.type === 'string' &&
    typeof e.seq === 'number' &&
    Number.isSafeInteger(e.seq) &&
    e.seq >= 1
  );
}

/** Fed by a listener registration function, e.g. `(l) => engine.onEvent(l)`. */
export class ListenerSource<T> {
  private off: (() => void) | undefined;

  constructor(private readonly register: (listener: (item: T) => void) => () => void) {}

  async start(sink: (item: T) => void): Promise<void> {
    if (this.off) throw new Error('ListenerSource: already started');
    this.off = this.register(sink);
  }

  ready(): boolean {
    return this.off !== undefined;
  }

  async stop(): Promise<void> {
    this.off?.();
    this.off = undefined;
  }
}

/** Committed events from an in-process listener (`LocalEngine.onEvent` under `aob dev`). */
export class ListenerLiveSource extends ListenerSource<AnyRunEvent> implements LiveSource {}

/** Token deltas from an in-process listener (`LocalEngine.onDelta` under `aob dev`). */
export class ListenerDeltaSource extends ListenerSource<NodeDelta> implements DeltaSource {}

export interface BusLiveSourceOptions {
  bus: Bus;
  /**
   * The consumer group: one of its own per replica, so that every replica sees every event
   * (replicas sharing a group would split the runs between them). E.g. `aob.fanout.<instance>`.
   */
  group: string;
  /** Consumer name within the group. Default 'fanout'. */
  consumer?: string;
  /** Messages per read. Default 512. */
  batch?: number;
  /** How long one read blocks when nothing is there. Default 1 000 ms. */
  blockMs?: number;
  /**
   * Messages of events decided more than this long before the source started are acknowledged
   * and dropped unseen. A new group starts at the oldest retained message on every adapter
   * (Redis XGROUP CREATE … 0, Kafka fromBeginning, the memory bus's oldest retained entry) and
   * the bus port has no "from now" option, so this is how the source starts at "now": history
   * comes from the store, and the backlog is only read through once. The margin covers clock
   * skew between hosts and commit-to-announce latency. Default 60 000 ms.
   */
  skipOlderThanMs?: number;
  /** Wall clock. Default Date.now. */
  now?: () => number;
  /** Read or ack failures (the loop retries after `retryMs`). */
  onError?: (err: unknown) => void;
  /** Pause after a failed read. Default 500 ms. */
  retryMs?: number;
}

/**
 * A consumer of one notification topic: hands each message whose value `accept`s to the sink,
 * and acknowledges each batch once handed over — what it carries is a notification (of the log,
 * or of display text), and anything lost here is either found in the store or not needed.
 */
class BusSource<T extends { at?: unknown }> {
  private running = false;
  private connected = false;
  private loop: Promise<void> | undefined;
  private startedAt = 0;
  /** Messages dropped as older than the start horizon (diagnostics, tests). */
  skipped = 0;
  /** Messages whose value was not one this source carries (diagnostics, tests). */
  malformed = 0;

  constructor(
    private readonly opts: BusLiveSourceOptions,
    private readonly topic: string,
    private readonly accept: (value: unknown) => value is T,
    private readonly defaultSkipMs: number,
  ) {}

  async start(sink: (item: T) => void): Promise<void> {
    if (this.running) throw new Error(`${this.constructor.name}: already started`);
    this.running = true;
    this.startedAt = (this.opts.now ?? Date.now)();
    await this.opts.bus.ensureGroup(this.opts.group, [this.topic]);
    this.connected = true;
    this.loop = this.run(sink);
  }

  ready(): boolean {
    return this.running && this.connected;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(sink: (item: T) => void): Promise<void> {
    const { bus, group } = this.opts;
    const horizon = this.startedAt - (this.opts.skipOlderThanMs ?? this.defaultSkipMs);
    const read = {
      group,
      consumer: this.opts.consumer ?? 'fanout',
      topics: [this.topic],
      count: this.opts.batch ?? 512,
      blockMs: this.opts.blockMs ?? 1_000,
    };
    while (this.running) {
      try {
        const messages = await bus.read(read);
        this.connected = true;
        if (messages.length === 0) continue;
        for (const m of messages) {
          const v = m.value;
          if (!this.accept(v)) this.malformed++;
          else if (typeof v.at === 'number' && v.at < horizon) this.skipped++;
          else sink(v);
        }
        await bus.ack(
          group,
          this.topic,
          messages.map((m) => m.id),
        );
      } catch (err) {
        if (!this.running) return;
        this.connected = false;
        this.opts.onError?.(err);
        await new Promise((r) => setTimeout(r, this.opts.retryMs ?? 500));
      }
    }
  }
}

/** A consumer of `aob.workflow.events`: notifications of the log (the hub fills gaps from it). */
export class BusLiveSource extends BusSource<AnyRunEvent> implements LiveSource {
  constructor(opts: BusLiveSourceOptions) {
    super(opts, Topic.events, isRunEvent, 60_000);
  }
}

/** True for a value with a token delta's fields. */
export function isNodeDelta(value: unknown): value is NodeDelta {
  if (value === null || typeof value !== 'object') return false;
  const d = value as Partial<Record<keyof NodeDelta, unknown>>;
  return (
    typeof d.runId === 'string' &&
    typeof d.nodeId === 'string' &&
    typeof d.attempt === 'number' &&
    typeof d.delta === 'string' &&
    typeof d.at === 'number'
  );
}

/**
 * A consumer of `aob.node.deltas` (token deltas from the runners), in a group of the replica's
 * own like BusLiveSource. Deltas written before the source started are skipped: they belong to
 * text a timeline opened now has no place for (default horizon 5 s).
 */
export class BusDeltaSource extends BusSource<NodeDelta> implements DeltaSource {
  constructor(opts: BusLiveSourceOptions) {
    super(opts, Topic.deltas, isNodeDelta, 5_000);
  }
}
