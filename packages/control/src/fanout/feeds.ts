// Feeds: what one subscriber follows, and the seam between history and live.
//
// A feed registers with the hub first (live events start queueing for it at once), then reads
// the store from its cursor, then replays what queued, dropping anything at or below the last seq
// it delivered for that run. A seq that skips ahead (possible only if its channel was re-opened
// above what the feed has) is read from the store before anything later is delivered. So a feed
// delivers each run's events strictly by seq, each once, without gaps from its first delivery.
import type { AnyRunEvent, RunStatus } from '@aob/core';
import type { NodeDelta } from '@aob/client';
import { AobError, TERMINAL_EVENTS, statusAfter } from '@aob/core';
import { encodeCursor } from './cursor.js';
import type {
  NamespaceCursor,
  TimelineItem,
  TimelineListener,
  TimelinePrincipal,
  TimelineStore,
} from './types.js';
import { TimelineErrorCode } from './types.js';

/**
 * What a feed needs of the hub's per-run channel (hub.ts RunChannel). Declared here, and the hub
 * implements it, so feeds and hub do not import each other.
 */
export interface FeedChannel {
  readonly runId: string;
  status: 'resolving' | 'ready' | 'missing';
  namespace: string | undefined;
  /** The last seq emitted. */
  seq: number;
  /** Set once the run's terminal event is at or below `seq`. */
  terminal: RunStatus | undefined;
  readonly feeds: Set<RunFeed>;
  readonly ready: Promise<void>;
}

/** What a feed needs of the hub (hub.ts Fanout). */
export interface FeedHub {
  readonly store: TimelineStore;
  readonly resumeWindowMs: number;
  readonly resumeScanLimit: number;
  channel(runId: string): FeedChannel;
  released(ch: FeedChannel): void;
  addNamespaceFeed(namespace: string, feed: NamespaceFeed): void;
  removeNamespaceFeed(namespace: string, feed: NamespaceFeed): void;
}

const FINISHED_KEPT = 10_000;

type ErrorItem = Extract<TimelineItem, { kind: 'error' }>;

function notFound(runId: string): AobError {
  return new AobError(TimelineErrorCode.NotFound, `run ${runId} not found`);
}

function errorItem(err: unknown): ErrorItem {
  const e = err as { code?: unknown; message?: unknown };
  return {
    kind: 'error',
    code: typeof e?.code === 'string' ? e.code : 'STORE_ERROR',
    message: typeof e?.message === 'string' ? e.message : String(err),
  };
}

/** One run, from a seq on; ends after the terminal event unless `follow`. */
export class RunFeed {
  private last: number;
  private catching = true;
  private queued: AnyRunEvent[] = [];
  private closed = false;
  private channel: FeedChannel | undefined;

  constructor(
    private readonly hub: FeedHub,
    private readonly principal: TimelinePrincipal,
    readonly runId: string,
    afterSeq: number,
    private readonly follow: boolean,
    private readonly listener: TimelineListener,
  ) {
    this.last = afterSeq;
  }

  async start(): Promise<void> {
    const ch = this.hub.channel(this.runId);
    this.channel = ch;
    ch.feeds.add(this); // live first: emissions queue from here on
    try {
      await ch.ready;
    } catch (err) {
      this.close();
      throw err;
    }
    if (ch.status === 'missing' || ch.namespace !== this.principal.namespace) {
      this.close();
      throw notFound(this.runId);
    }
    // History is read after the caller has the unsubscribe function (items never reach a
    // listener before subscribe() resolved).
    setImmediate(() => void this.catchUp());
  }

  onEmit(e: AnyRunEvent, _ch: FeedChannel): void {
    if (this.closed) return;
    if (this.catching) this.queued.push(e);
    else this.accept(e);
  }

  /**
   * A token delta of the run, delivered at once to a feed that is live; one reading history
   * drops it (the text belongs to a node whose events it has not delivered yet).
   */
  onDelta(delta: NodeDelta): void {
    if (this.closed || this.catching) return;
    this.listener({ kind: 'delta', delta });
  }

  fail(item: ErrorItem): void {
    if (this.closed) return;
    this.close();
    this.listener(item);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queued = [];
    const ch = this.channel;
    if (ch) {
      ch.feeds.delete(this);
      this.hub.released(ch);
    }
  }

  private accept(e: AnyRunEvent): void {
    if (e.seq <= this.last) return;
    if (e.seq > this.last + 1) {
      this.queued.push(e);
      void this.catchUp();
      return;
    }
    this.deliver(e);
  }

  private deliver(e: AnyRunEvent): void {
    this.last = e.seq;
    this.listener({ kind: 'event', event: e, id: String(e.seq) });
    if (TERMINAL_EVENTS.has(e.type) && !this.follow && !this.closed) this.end(statusAfter(e.type)!);
  }

  private end(status: NonNullable<ReturnType<typeof statusAfter>>): void {
    const item: TimelineItem = { kind: 'end', runId: this.runId, status, lastSeq: this.last };
    this.close();
    this.listener(item);
  }

  /** Reads the store from `last + 1`, then replays what queued meanwhile. */
  private async catchUp(): Promise<void> {
    this.catching = true;
    try {
      const history = await this.hub.store.read(this.runId, this.last + 1);
      for (const e of history) {
        if (this.closed) return;
        if (e.seq === this.last + 1) this.deliver(e);
      }
    } catch (err) {
      this.fail(errorItem(err));
      return;
    }
    if (this.closed) return;
    const queued = this.queued.sort((a, b) => a.seq - b.seq);
    this.queued = [];
    this.catching = false;
    for (let i = 0; i < queued.length; i++) {
      if (this.closed) return;
      const e = queued[i]!;
      if (e.seq > this.last + 1) {
        // Still a gap after the read (the store lags): wait for the next emission or tail check.
        this.queued = queued.slice(i);
        this.catching = true;
        setTimeout(() => void this.catchUp(), 100).unref();
        return;
      }
      this.accept(e);
    }
    // Already over when we joined (or resumed past its end): say so now.
    const ch = this.channel;
    if (!this.follow && !this.closed && ch?.terminal && this.last >= ch.seq) this.end(ch.terminal);
  }
}

/** Every run of one namespace, live from now, or resumed from a cursor (cursor.ts). */
export class NamespaceFeed {
  /** Last seq delivered per run. */
  private readonly last = new Map<string, number>();
  /**
   * Runs whose terminal event was delivered, oldest first: their `last` entries are dropped past
   * FINISHED_KEPT (a repeat that late is already dropped by its channel, which remembers).
   */
  private readonly finished: string[] = [];
  /** Runs being read from the store to close a gap, with the events that queued meanwhile. */
  private readonly filling = new Map<string, AnyRunEvent[]>();
  private catching = true;
  private queued: AnyRunEvent[] = [];
  private closed = false;

  constructor(
    private readonly hub: FeedHub,
    private readonly namespace: string,
    private readonly listener: TimelineListener,
  ) {}

  async start(after: NamespaceCursor | undefined): Promise<void> {
    this.hub.addNamespaceFeed(this.namespace, this);
    if (!after) {
      this.catching = false;
      return;
    }
    // The cursor's run must be ours (as for a run feed: otherwise it is "not found").
    const summary = await this.hub.store.getRun(after.runId).catch((err: unknown) => {
      this.close();
      throw err;
    });
    if (!summary || (summary.namespace ?? 'default') !== this.namespace) {
      this.close();
      throw notFound(after.runId);
    }
    setImmediate(() => void this.resume(after));
  }

  onEmit(e: AnyRunEvent): void {
    if (this.closed) return;
    if (this.catching) this.queued.push(e);
    else this.accept(e);
  }

  fail(item: ErrorItem): void {
    if (this.closed) return;
    this.close();
    this.listener(item);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queued = [];
    this.hub.removeNamespaceFeed(this.namespace, this);
  }

  private accept(e: AnyRunEvent): void {
    const waiting = this.filling.get(e.runId);
    if (waiting) {
      waiting.push(e);
      return;
    }
    const last = this.last.get(e.runId);
    if (last !== undefined && e.seq <= last) return;
    if (last !== undefined && e.seq > last + 1) {
      this.filling.set(e.runId, [e]);
      void this.fill(e.runId, last);
      return;
    }
    this.deliver(e);
  }

  private deliver(e: AnyRunEvent): void {
    this.last.set(e.runId, e.seq);
    if (TERMINAL_EVENTS.has(e.type)) {
      this.finished.push(e.runId);
      if (this.finished.length > FINISHED_KEPT) this.last.delete(this.finished.shift()!);
    }
    this.listener({
      kind: 'event',
      event: e,
      id: encodeCursor({ at: e.at, seq: e.seq, runId: e.runId }),
    });
  }

  private async fill(runId: string, last: number): Promise<void> {
    let history: AnyRunEvent[];
    try {
      history = await this.hub.store.read(runId, last + 1);
    } catch (err) {
      this.fail(errorItem(err));
      return;
    }
    const waiting = this.filling.get(runId) ?? [];
    this.filling.delete(runId);
    if (this.closed) return;
    let seq = last;
    for (const e of history) {
      if (this.closed) return;
      if (e.seq === seq + 1) {
        this.deliver(e);
        seq = e.seq;
      }
    }
    for (const e of waiting.sort((a, b) => a.seq - b.seq)) {
      if (this.closed) return;
      this.accept(e);
    }
  }

  /** Re-delivers what the cursor's guarantee covers, then what queued live meanwhile. */
  private async resume(after: NamespaceCursor): Promise<void> {
    const since = after.at - this.hub.resumeWindowMs;
    let events: { e: AnyRunEvent; key: number }[];
    let complete: boolean;
    try {
      const scan = await this.scan(since, after.runId);
      complete = scan.complete;
      events = [];
      for (const runId of scan.runs) {
        const log = await this.hub.store.read(runId, runId === after.runId ? after.seq + 1 : 1);
        // From the first event inside the window on (a suffix: per run the feed stays dense).
        const first = runId === after.runId ? 0 : log.findIndex((e) => e.at >= since);
        if (first < 0) {
          const tail = log[log.length - 1];
          if (tail) this.last.set(runId, tail.seq);
          continue;
        }
        // Sort key: the running maximum of `at`, so a run's events keep their seq order even if
        // its clock stepped back.
        let key = -Infinity;
        for (const e of log.slice(first)) events.push({ e, key: (key = Math.max(key, e.at)) });
      }
    } catch (err) {
      this.fail(errorItem(err));
      return;
    }
    events.sort(
      (a, b) =>
        a.key - b.key ||
        (a.e.runId < b.e.runId ? -1 : a.e.runId > b.e.runId ? 1 : a.e.seq - b.e.seq),
    );
    if (after.runId && !this.last.has(after.runId)) this.last.set(after.runId, after.seq);
    for (const { e } of events) {
      if (this.closed) return;
      this.accept(e);
    }
    if (!complete && !this.closed) {
      this.listener({
        kind: 'reset',
        reason: `resume looked at the ${this.hub.resumeScanLimit} most recently started runs only; re-list runs to catch up on older ones`,
      });
    }
    const queued = this.queued;
    this.queued = [];
    this.catching = false;
    for (const e of queued) {
      if (this.closed) return;
      this.accept(e);
    }
  }

  /** Runs of the namespace updated since `since` (plus the cursor's run), newest started first. */
  private async scan(
    since: number,
    cursorRun: string,
  ): Promise<{ runs: string[]; complete: boolean }> {
    const runs = new Set<string>([cursorRun]);
    const page = 500;
    let offset = 0;
    while (offset < this.hub.resumeScanLimit) {
      const limit = Math.min(page, this.hub.resumeScanLimit - offset);
      const batch = await this.hub.store.listRuns({ namespace: this.namespace, limit, offset });
      for (const s of batch) {
        if ((s.namespace ?? 'default') === this.namespace && s.updatedAt >= since)
          runs.add(s.runId);
      }
      if (batch.length < limit) return { runs: [...runs], complete: true };
      offset += batch.length;
    }
    return { runs: [...runs], complete: false };
  }
}
