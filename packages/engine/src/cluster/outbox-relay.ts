// The outbox relay (ARCHITECTURE §6): publishes what decisions committed to the outbox — eagerly, the
// rows a decision committed already claimed under its token (`publishClaimed`: no claim query on
// the way), and by a periodic sweep that picks up everything else, including rows whose writer or
// relay died before marking them (their claim lease runs out). Rows are marked sent only after the bus took
// them, so a row is never lost; a crash between publish and mark publishes it again, which
// consumers tolerate (a job runs at most once more — the attempt ledger answers it with the
// recorded outcome if it finished; a duplicate result or event changes nothing).
//
// The claims of published decisions are marked together, `markEveryMs` after the first of them
// (one UPDATE, one commit, for every decision published meanwhile), not one commit per decision:
// in a chain that was a second WAL flush per step. The price is a wider window in which a crash
// leaves published rows unmarked, to be published again once their claim lapses.
//
// Given a handoff (job-handoff.ts: a runner in this process), a decision's jobs go to that runner
// while it has free slots instead of onto the bus. Their decision's claim is then held — renewed
// every third of the lease — until each handed job's result was applied or published, and only
// then marked sent; a job the runner gave back goes out on the bus first.
import type { Bus, BusMessage } from '@aob/bus';
import type { NodeJob } from '@aob/core';
import { Topic } from '@aob/core';
import type {
  OutboxMessage,
  OutboxRecord,
  OutboxStore,
  RunnerJobStore,
  TimerStore,
} from '@aob/store';
import { TIMER_OUTBOX_TOPIC } from '../orchestrator/orchestrator.js';
import { TRACEPARENT, contextOf, publishTraced } from '../telemetry/trace.js';
import { publishedAtHeader, recordJobHanded } from '../telemetry/metrics.js';
import type { TimerOutboxValue } from '../orchestrator/orchestrator.js';
import { RUNNER_JOB_OUTBOX_TOPIC, runnerJobEntry } from '../orchestrator/job-route.js';
import { JOB_TOPICS } from '../runner/runner.js';
import type { HandedJobEnd, JobHandoff } from './job-handoff.js';

/** A row to deliver; `prepared`: its value went through `prepare` already (an offer refused). */
type Row = Pick<OutboxRecord, 'topic' | 'key' | 'value' | 'headers'> & { prepared?: true };

export interface OutboxRelayOptions {
  outbox: OutboxStore;
  timers: TimerStore;
  /**
   * Where jobs for runners outside the cluster are queued (job-route.ts). A row of one with no
   * queue given stays unsent.
   */
  runnerJobs?: Pick<RunnerJobStore, 'enqueueRunnerJobs'>;
  /** The clock of the runner queue's rows. Default Date.now. */
  now?: () => number;
  bus: Bus;
  /** Names this relay's claims (several relays share one outbox). */
  owner: string;
  /** Rows per claim. Default 500. */
  batch?: number;
  /** How long a claim lasts before another relay may take the rows. Default 10 s. */
  leaseMs?: number;
  /** The sweep period. Default 500 ms. */
  sweepMs?: number;
  /** How long published claims wait to be marked sent together. Default 20 ms. */
  markEveryMs?: number;
  /**
   * A message's value as published, given the committed row: a hook for what must not be
   * written to the outbox (an agent job's job token, job-tokens.ts: minted at each publish, so
   * its plaintext never reaches the database). A row it fails for stays unsent, like one the bus
   * refused. Default: the row's value.
   */
  prepare?: (row: Pick<OutboxRecord, 'topic' | 'key' | 'value'>) => Promise<unknown>;
  onError?: (err: unknown) => void;
  /**
   * A runner in this process (job-handoff.ts): the jobs of `publishClaimed` go to it while it has
   * free slots. Their claims are renewed to `leaseMs` meanwhile.
   */
  handoff?: JobHandoff;
}

export interface RelayStats {
  published: number;
  timers: number;
  passes: number;
  /** Jobs handed to the runner in this process instead of published. */
  handed: number;
}

export class OutboxRelay {
  private readonly stats: RelayStats = { published: 0, timers: 0, passes: 0, handed: 0 };
  /** Claim tokens of decisions with jobs in this process's runner: renewed, not yet marked. */
  private readonly held = new Set<string>();
  private renewal: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private sweep: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly inFlight = new Set<Promise<void>>();
  /** Claim tokens whose rows are published and not yet marked sent. */
  private published: string[] = [];
  private markTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: OutboxRelayOptions) {}

  start(): void {
    this.sweep = setInterval(() => this.kick(), this.opts.sweepMs ?? 500);
    this.sweep.unref();
    this.kick();
  }

  /** Publishes what is committed now (coalesced: one pass runs at a time, then once more). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /**
   * Publishes rows a decision committed already claimed under `token`, then marks them sent
   * (with the other claims published within `markEveryMs`). On failure nothing is lost: the
   * claim lapses and the sweep publishes them.
   */
  publishClaimed(token: string, rows: readonly OutboxMessage[]): void {
    if (this.stopped) return;
    const records = rows.map((r) => ({ headers: {}, ...r }));
    if (!this.opts.handoff) {
      this.track(this.deliver(records).then(() => this.marked(token)));
      return;
    }
    this.track(this.handOrDeliver(token, records));
  }

  /**
   * Hands the decision's jobs to the runner of this process while it takes them, publishes the
   * rest, and marks the claim once every handed job is over (publishing those it gave back).
   */
  private async handOrDeliver(token: string, rows: readonly Row[]): Promise<void> {
    const handed: Promise<Row | undefined>[] = [];
    const rest: Row[] = [];
    for (const row of rows) {
      if (!JOB_TOPICS.includes(row.topic as (typeof JOB_TOPICS)[number])) {
        rest.push(row);
        continue;
      }
      const offer = await this.hand(row, token, handed.length);
      if ('end' in offer)
        handed.push(offer.end.then((how) => (how === 'returned' ? row : undefined)));
      else rest.push(offer.refused);
    }
    await this.deliver(rest);
    if (handed.length === 0) return this.marked(token);
    this.hold(token);
    void Promise.all(handed).then((ended) => {
      this.release(token);
      // Stopped: the claim lapses and whichever relay sweeps next publishes the rows again;
      // the attempt ledger answers finished jobs with their outcomes.
      if (this.stopped) return;
      const returned = ended.filter((r): r is Row => r !== undefined);
      this.track(this.deliver(returned).then(() => this.marked(token)));
    });
  }

  /**
   * Offers a job row to the runner of this process: how it will end, or, refused, the row with
   * its prepared value (so publishing it does not prepare it again: an agent job's token is
   * minted once).
   */
  private async hand(
    row: Row,
    token: string,
    index: number,
  ): Promise<{ end: Promise<HandedJobEnd> } | { refused: Row }> {
    const value = this.opts.prepare ? await this.opts.prepare(row) : row.value;
    let ended!: (how: HandedJobEnd) => void;
    const end = new Promise<HandedJobEnd>((resolve) => (ended = resolve));
    const message: BusMessage = {
      id: `handoff:${token}:${index}`,
      topic: row.topic,
      key: row.key,
      value,
      headers: row.headers,
      deliveries: 1,
    };
    if (!this.opts.handoff!.offer(message, ended)) {
      return { refused: { ...row, value, prepared: true } };
    }
    this.stats.handed++;
    recordJobHanded((value as NodeJob).priority);
    return { end };
  }

  /** Keeps a claim alive while its jobs are in this process's runner. */
  private hold(token: string): void {
    this.held.add(token);
    if (this.renewal !== undefined) return;
    const leaseMs = this.opts.leaseMs ?? 10_000;
    this.renewal = setInterval(() => {
      if (this.held.size === 0) return;
      this.opts.outbox
        .renewClaims([...this.held], leaseMs)
        .catch((err: unknown) => this.opts.onError?.(err));
    }, leaseMs / 3);
    this.renewal.unref();
  }

  private release(token: string): void {
    this.held.delete(token);
    if (this.held.size === 0 && this.renewal !== undefined) {
      clearInterval(this.renewal);
      this.renewal = undefined;
    }
  }

  /** Resolves when the relay is idle (tests; graceful shutdown drains before it stops). */
  async idle(): Promise<void> {
    while (this.running || this.inFlight.size > 0 || this.published.length > 0) {
      if (this.published.length > 0) this.markPublished();
      await Promise.allSettled([this.running, ...this.inFlight]);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweep) clearInterval(this.sweep);
    // Claims held for handed jobs lapse from here: another relay publishes their rows.
    if (this.renewal !== undefined) clearInterval(this.renewal);
    this.renewal = undefined;
    this.held.clear();
    await this.idle();
  }

  /** Queues a published claim to be marked sent with the others of the next `markEveryMs`. */
  private marked(token: string): void {
    this.published.push(token);
    if (this.markTimer === undefined) {
      this.markTimer = setTimeout(() => this.markPublished(), this.opts.markEveryMs ?? 20);
    }
  }

  /** Marks every published claim sent, in one statement. */
  private markPublished(): void {
    if (this.markTimer !== undefined) clearTimeout(this.markTimer);
    this.markTimer = undefined;
    const tokens = this.published;
    if (tokens.length === 0) return;
    this.published = [];
    this.track(this.opts.outbox.markSentByClaims(tokens));
  }

  /** Keeps `work` until it settles (idle waits for it); its failure goes to onError. */
  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work
      .catch((err: unknown) => this.opts.onError?.(err))
      .finally(() => this.inFlight.delete(work));
  }

  get counters(): Readonly<RelayStats> {
    return this.stats;
  }

  private async drain(): Promise<void> {
    const limit = this.opts.batch ?? 500;
    try {
      for (;;) {
        const rows = await this.opts.outbox.claimOutbox(limit, {
          owner: this.opts.owner,
          leaseMs: this.opts.leaseMs ?? 10_000,
        });
        this.stats.passes++;
        if (rows.length === 0) return;
        await this.deliver(rows);
        await this.opts.outbox.markSent(rows.map((r) => r.id));
        if (rows.length < limit || this.stopped) return;
      }
    } catch (err) {
      // The rows stay claimed until their lease ends; the sweep takes them again then.
      this.opts.onError?.(err);
    }
  }

  private async deliver(rows: readonly Row[]): Promise<void> {
    const timers = rows.filter((r) => r.topic === TIMER_OUTBOX_TOPIC);
    const queued = rows.filter((r) => r.topic === RUNNER_JOB_OUTBOX_TOPIC);
    const messages = rows.filter(
      (r) => r.topic !== TIMER_OUTBOX_TOPIC && r.topic !== RUNNER_JOB_OUTBOX_TOPIC,
    );
    if (queued.length > 0) await this.enqueue(queued.map((r) => r.value as NodeJob));
    if (timers.length > 0) {
      await this.opts.timers.scheduleTimers(
        timers.map((r) => {
          const t = r.value as TimerOutboxValue;
          return { timerId: t.timerId, runId: t.runId, purpose: 'run', dueAt: t.dueAt };
        }),
      );
      this.stats.timers += timers.length;
    }
    const prepare = this.opts.prepare;
    const values = prepare
      ? await Promise.all(messages.map((r) => (r.prepared ? r.value : prepare(r))))
      : messages.map((r) => r.value);
    // All at once, in commit order: every adapter sends publishes in call order (Kafka batches
    // them into one produce request per round, ioredis pipelines them on one connection), which
    // keeps the order per run without waiting for each message before the next.
    // A row written with its decision's trace context is published in a span under it.
    // With metrics on, jobs carry their publish time (the runners' queue lag).
    const published = publishedAtHeader();
    await Promise.all(
      messages.map((r, i) => {
        const headers = published ? { ...r.headers, ...published } : r.headers;
        return publishTraced(
          this.opts.bus,
          r.topic,
          r.key,
          values[i],
          r.headers[TRACEPARENT] !== undefined ? contextOf(r.headers[TRACEPARENT]) : undefined,
          Object.keys(headers).length > 0 ? headers : undefined,
        );
      }),
    );
    this.stats.published += messages.length;
  }

  /**
   * Queues jobs for runners outside the cluster. A job queued again (the same attempt re-dispatched
   * by the stall sweep, or a row published twice) whose attempt finished has its recorded result
   * published again: the result may have been lost on its way.
   */
  private async enqueue(jobs: readonly NodeJob[]): Promise<void> {
    const queue = this.opts.runnerJobs;
    if (!queue) {
      throw new Error(
        `outbox relay: ${jobs.length} job(s) for runners outside the cluster, and no runner queue`,
      );
    }
    const finished = await queue.enqueueRunnerJobs(
      jobs.map(runnerJobEntry),
      (this.opts.now ?? Date.now)(),
    );
    const runOf = new Map(jobs.map((j) => [runnerJobEntry(j).key, j.runId]));
    await Promise.all(
      finished.map((f) => this.opts.bus.publish(Topic.results, runOf.get(f.key)!, f.outcome)),
    );
  }
}
