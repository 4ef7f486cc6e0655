// The fanout hub: one live source, one ordered channel per followed run, any number of feeds.
//
// Invariants (each covered by hub.test.ts / timeline.int.test.ts):
// - A channel emits its run's events strictly by seq, each once, without gaps, from its baseline
//   on. Everything at or below a channel's `seq` is committed in the store (an event is emitted
//   only when read from the store or announced, and announcements follow the commit), so a feed
//   that joins a channel and then reads the store from its own cursor misses nothing: what the
//   read does not return yet, the channel emits after the join.
// - A live event at or below `seq` is a repeat and is dropped; one that skips seqs means lost
//   announcements, and the gap is read from the store before anything later is emitted.
// - A channel whose run has been quiet for `tailCheckMs` compares its `seq` with the store's
//   summary and reads what it is missing: a lost announcement of the run's last events (its
//   terminal event above all) is found without a later event to reveal the gap.
// - The broadcast never awaits a consumer: feeds hand items to listeners synchronously, and
//   listeners (the SSE writer) only queue bytes.
import type { AnyRunEvent } from '@aob/core';
import { AobError, TERMINAL_EVENTS, isTerminalStatus, statusAfter } from '@aob/core';
import type { RunStatus } from '@aob/core';
import { NamespaceFeed, RunFeed } from './feeds.js';
import type { FeedChannel, FeedHub } from './feeds.js';
import type { NodeDelta } from '@aob/client';
import type {
  DeltaSource,
  LiveSource,
  TimelineListener,
  TimelinePrincipal,
  TimelineStore,
  TimelineTarget,
} from './types.js';
import { TimelineErrorCode } from './types.js';

export interface FanoutOptions {
  store: TimelineStore;
  source: LiveSource;
  /** Where token deltas come from (display only). Absent: the timelines carry none. */
  deltas?: DeltaSource;
  /** A followed run quiet this long is checked against the store. Default 5 000 ms. */
  tailCheckMs?: number;
  /** A channel nobody follows by id is dropped after this long without events. Default 60 000 ms. */
  channelIdleMs?: number;
  /** Runs whose namespace and last emitted seq are remembered after their channel closes. Default 100 000. */
  rememberRuns?: number;
  /** Namespace feed resume window (cursor.ts). Default 10 000 ms. */
  resumeWindowMs?: number;
  /** Most runs a namespace feed resume looks at (cursor.ts). Default 5 000. */
  resumeScanLimit?: number;
  now?: () => number;
  /** Store failures the hub recovers from by itself (it retries at the next tail check). */
  onError?: (err: unknown) => void;
}

type ChannelStatus = 'resolving' | 'ready' | 'missing';

/** The ordered event stream of one run (see the invariants above). */
export class RunChannel implements FeedChannel {
  status: ChannelStatus = 'resolving';
  namespace: string | undefined;
  /** The last seq emitted (the baseline until the first emission). */
  seq = 0;
  /** Set once the run's terminal event is at or below `seq`. */
  terminal: RunStatus | undefined;
  readonly feeds = new Set<RunFeed>();
  /** Live events above `seq` not emitted yet: waiting for resolution, a fill, or an earlier seq. */
  readonly pending = new Map<number, AnyRunEvent>();
  filling = false;
  lastActivity: number;
  lastCheck = 0;
  readonly ready: Promise<void>;
  resolveReady!: () => void;
  rejectReady!: (err: unknown) => void;

  constructor(
    readonly runId: string,
    now: number,
  ) {
    this.lastActivity = now;
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined); // observed by whoever awaits it
  }
}

interface Remembered {
  namespace: string;
  seq: number;
}

export class Fanout implements FeedHub {
  readonly store: TimelineStore;
  readonly resumeWindowMs: number;
  readonly resumeScanLimit: number;
  private readonly source: LiveSource;
  private readonly channels = new Map<string, RunChannel>();
  private readonly namespaceFeeds = new Map<string, Set<NamespaceFeed>>();
  private namespaceFeedCount = 0;
  /** runId → namespace and last emitted seq, insertion-ordered for LRU eviction. */
  private readonly remembered = new Map<string, Remembered>();
  private readonly opts: FanoutOptions;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;
  private state: 'new' | 'started' | 'stopped' = 'new';
  /** Counters (diagnostics, tests, the benchmark). */
  readonly counters = { live: 0, repeats: 0, gaps: 0, tailFills: 0, emitted: 0, deltas: 0 };

  constructor(opts: FanoutOptions) {
    this.opts = opts;
    this.store = opts.store;
    this.source = opts.source;
    this.now = opts.now ?? Date.now;
    this.resumeWindowMs = opts.resumeWindowMs ?? 10_000;
    this.resumeScanLimit = opts.resumeScanLimit ?? 5_000;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`Fanout: cannot start a ${this.state} hub`);
    this.state = 'started';
    await this.source.start((e) => this.onLive(e));
    await this.opts.deltas?.start((d) => this.onDelta(d));
    const every = Math.max(10, Math.floor((this.opts.tailCheckMs ?? 5_000) / 2));
    this.timer = setInterval(() => void this.sweep(), every);
    this.timer.unref();
  }

  ready(): boolean {
    return this.state === 'started' && this.source.ready();
  }

  /** Feeds open now: each holds a listener (and through it a client's buffers). */
  get subscriptions(): { run: number; namespace: number } {
    let run = 0;
    for (const ch of this.channels.values()) run += ch.feeds.size;
    return { run, namespace: this.namespaceFeedCount };
  }

  /** Stops the source and ends every feed with an UNAVAILABLE error item. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    if (this.timer) clearInterval(this.timer);
    await this.source.stop();
    await this.opts.deltas?.stop();
    const error = {
      kind: 'error',
      code: TimelineErrorCode.Unavailable,
      message: 'the fanout is stopping',
    } as const;
    for (const ch of this.channels.values()) for (const f of [...ch.feeds]) f.fail(error);
    for (const set of this.namespaceFeeds.values()) for (const f of [...set]) f.fail(error);
    this.channels.clear();
  }

  /**
   * Follows a run or the principal's namespace. Resolves once the target is authorised (a run
   * of another namespace, or an unknown one, rejects with code NOT_FOUND); items reach
   * `listener` after that, synchronously from the broadcast, and must not block. Returns the
   * unsubscribe function.
   */
  async subscribe(
    principal: TimelinePrincipal,
    target: TimelineTarget,
    listener: TimelineListener,
  ): Promise<() => void> {
    if (this.state !== 'started') {
      throw new AobError(TimelineErrorCode.Unavailable, 'the fanout is not running', {
        retryable: true,
      });
    }
    if (target.kind === 'run') {
      const afterSeq = target.afterSeq ?? 0;
      if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) {
        throw new AobError(TimelineErrorCode.BadRequest, `fromSeq must be an integer >= 0`);
      }
      const feed = new RunFeed(
        this,
        principal,
        target.runId,
        afterSeq,
        target.follow ?? false,
        listener,
      );
      await feed.start();
      return () => feed.close();
    }
    const feed = new NamespaceFeed(this, principal.namespace, listener);
    await feed.start(target.after);
    return () => feed.close();
  }

  // ---- used by the feeds ----

  /** The channel of a run, opened (and resolved from the store) on first use. */
  channel(runId: string): RunChannel {
    let ch = this.channels.get(runId);
    if (!ch) {
      ch = new RunChannel(runId, this.now());
      this.channels.set(runId, ch);
      void this.resolve(ch, undefined);
    }
    return ch;
  }

  /** Drops a channel nobody follows when nothing else needs it (no namespace feeds at all). */
  released(ch: RunChannel): void {
    if (ch.feeds.size === 0 && this.namespaceFeedCount === 0 && !ch.filling) this.close(ch);
  }

  addNamespaceFeed(namespace: string, feed: NamespaceFeed): void {
    let set = this.namespaceFeeds.get(namespace);
    if (!set) this.namespaceFeeds.set(namespace, (set = new Set()));
    set.add(feed);
    this.namespaceFeedCount++;
  }

  removeNamespaceFeed(namespace: string, feed: NamespaceFeed): void {
    const set = this.namespaceFeeds.get(namespace);
    if (!set?.delete(feed)) return;
    this.namespaceFeedCount--;
    if (set.size === 0) this.namespaceFeeds.delete(namespace);
  }

  reportError(err: unknown): void {
    this.opts.onError?.(err);
  }

  // ---- live path ----

  /**
   * A token delta goes to the feeds following its run here, and nowhere else: a run nobody
   * follows opens no channel for it (deltas are display only), and a feed of a run of another
   * namespace does not exist (feeds are authorised when they subscribe).
   */
  private onDelta(d: NodeDelta): void {
    const ch = this.channels.get(d.runId);
    if (!ch || ch.status !== 'ready') return;
    this.counters.deltas++;
    for (const f of ch.feeds) f.onDelta(d);
  }

  private onLive(e: AnyRunEvent): void {
    this.counters.live++;
    let ch = this.channels.get(e.runId);
    if (!ch) {
      // Nobody follows this run by id; only namespace feeds could want it.
      if (this.namespaceFeedCount === 0) return;
      const known = this.remembered.get(e.runId);
      if (known && e.seq <= known.seq) {
        this.counters.repeats++;
        return;
      }
      ch = new RunChannel(e.runId, this.now());
      // The event that revealed the run is the first the channel emits (known.seq below it:
      // the gap between is read from the store, so namespace feeds stay dense per run).
      ch.seq = known ? known.seq : e.seq - 1;
      ch.pending.set(e.seq, e);
      this.channels.set(e.runId, ch);
      void this.resolve(ch, known?.namespace);
      return;
    }
    this.offer(ch, e);
  }

  private offer(ch: RunChannel, e: AnyRunEvent): void {
    if (ch.status === 'missing') return;
    if (ch.status === 'ready' && e.seq <= ch.seq) {
      this.counters.repeats++;
      return;
    }
    if (ch.status !== 'ready' || ch.filling) {
      ch.pending.set(e.seq, e);
      return;
    }
    if (e.seq === ch.seq + 1) {
      this.emit(ch, e);
      return;
    }
    this.counters.gaps++;
    ch.pending.set(e.seq, e);
    void this.fill(ch);
  }

  private emit(ch: RunChannel, e: AnyRunEvent): void {
    ch.seq = e.seq;
    ch.lastActivity = this.now();
    if (TERMINAL_EVENTS.has(e.type)) ch.terminal = statusAfter(e.type);
    this.counters.emitted++;
    for (const f of ch.feeds) f.onEmit(e, ch);
    const ns = ch.namespace === undefined ? undefined : this.namespaceFeeds.get(ch.namespace);
    if (ns) for (const f of ns) f.onEmit(e);
  }

  /** Emits the pending events that continue `seq`; reads the store when one is missing. */
  private drain(ch: RunChannel): void {
    for (;;) {
      const next = ch.pending.get(ch.seq + 1);
      if (!next) break;
      ch.pending.delete(next.seq);
      this.emit(ch, next);
    }
    for (const seq of ch.pending.keys()) if (seq <= ch.seq) ch.pending.delete(seq);
    if (ch.pending.size > 0) void this.fill(ch);
  }

  /**
   * Finds the run's namespace and (for a channel opened by a run feed) its baseline. Live events
   * that arrived meanwhile are kept: the baseline is set below the first of them, so a namespace
   * feed sees them even though the store already has them.
   */
  private async resolve(ch: RunChannel, knownNamespace: string | undefined): Promise<void> {
    const openedByFeed = ch.pending.size === 0 && ch.seq === 0;
    try {
      let summary;
      if (knownNamespace === undefined || openedByFeed) {
        summary = await this.store.getRun(ch.runId);
        if (!summary) {
          ch.status = 'missing';
          ch.pending.clear();
          if (this.channels.get(ch.runId) === ch) this.channels.delete(ch.runId);
          ch.resolveReady();
          return;
        }
      }
      ch.namespace = summary ? (summary.namespace ?? 'default') : knownNamespace;
      if (openedByFeed && summary) {
        const firstPending = Math.min(...ch.pending.keys());
        ch.seq = Math.min(
          summary.lastSeq,
          Number.isFinite(firstPending) ? firstPending - 1 : Infinity,
        );
        if (isTerminalStatus(summary.status) && ch.seq >= summary.lastSeq)
          ch.terminal = summary.status;
      }
      ch.status = 'ready';
      ch.resolveReady();
      this.drain(ch);
    } catch (err) {
      if (this.channels.get(ch.runId) === ch) this.channels.delete(ch.runId);
      ch.status = 'missing';
      ch.rejectReady(err);
      this.reportError(err);
    }
  }

  /** Reads the store from `seq + 1` and emits what continues it, then the pending events. */
  private async fill(ch: RunChannel): Promise<void> {
    if (ch.filling || ch.status !== 'ready') return;
    ch.filling = true;
    try {
      const events = await this.store.read(ch.runId, ch.seq + 1);
      for (const e of events) {
        if (e.seq === ch.seq + 1) {
          ch.pending.delete(e.seq);
          this.emit(ch, e);
        }
      }
    } catch (err) {
      // Left pending: the next tail check tries again.
      this.reportError(err);
      return;
    } finally {
      ch.filling = false;
    }
    // A gap the store cannot fill yet stays pending until the next tail check (an announcement
    // never precedes its commit, so this means a store that lags its own writes).
    for (;;) {
      const next = ch.pending.get(ch.seq + 1);
      if (!next) break;
      ch.pending.delete(next.seq);
      this.emit(ch, next);
    }
    for (const seq of ch.pending.keys()) if (seq <= ch.seq) ch.pending.delete(seq);
  }

  private close(ch: RunChannel): void {
    if (this.channels.get(ch.runId) !== ch) return;
    this.channels.delete(ch.runId);
    if (ch.status === 'ready' && ch.namespace !== undefined) {
      this.remember(ch.runId, { namespace: ch.namespace, seq: ch.seq });
    }
  }

  private remember(runId: string, r: Remembered): void {
    this.remembered.delete(runId);
    this.remembered.set(runId, r);
    const max = this.opts.rememberRuns ?? 100_000;
    while (this.remembered.size > max) {
      const oldest = this.remembered.keys().next();
      if (oldest.done) break;
      this.remembered.delete(oldest.value);
    }
  }

  /** Tail checks of quiet followed runs, and eviction of channels nobody needs. */
  private async sweep(): Promise<void> {
    if (this.sweeping || this.state !== 'started') return;
    this.sweeping = true;
    try {
      const now = this.now();
      const tailCheckMs = this.opts.tailCheckMs ?? 5_000;
      const idleMs = this.opts.channelIdleMs ?? 60_000;
      for (const ch of [...this.channels.values()]) {
        if (ch.status !== 'ready' || ch.filling) continue;
        const watched =
          ch.feeds.size > 0 ||
          (ch.namespace !== undefined && this.namespaceFeeds.has(ch.namespace));
        if (ch.feeds.size === 0 && (ch.terminal || now - ch.lastActivity >= idleMs || !watched)) {
          this.close(ch);
          continue;
        }
        if (
          ch.terminal ||
          now - ch.lastActivity < tailCheckMs ||
          now - ch.lastCheck < tailCheckMs
        ) {
          continue;
        }
        ch.lastCheck = now;
        try {
          const summary = await this.store.getRun(ch.runId);
          if (summary && summary.lastSeq > ch.seq && !ch.filling) {
            this.counters.tailFills++;
            await this.fill(ch);
          }
        } catch (err) {
          this.reportError(err);
        }
      }
    } finally {
      this.sweeping = false;
    }
  }
}
