import type { CasRef, NodeJob, NodeResult, NodeType } from '@aob/core';
import { StartReport } from './start-report.js';
import { AobError, Topic, toErrorData } from '@aob/core';
import type { Bus, BusMessage } from '@aob/bus';
import type { AttemptKey, AttemptLedger, ContentStore } from '@aob/store';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { ExecutorOptions } from '../executors/types.js';
import { executeJob } from './execute-job.js';
import { AttemptSpending } from './usage.js';
import type { ResultMemo } from './memo.js';
import { memoKey } from './memo.js';
import { attemptKeyOf, suspendedResultOf } from './suspended.js';
import {
  TRACEPARENT,
  failSpan,
  publishTraced,
  startProcessSpan,
  traceparentOf,
} from '../telemetry/trace.js';
import { recordQueueLag } from '../telemetry/metrics.js';
import type { HandedJobEnd, JobHandoff } from '../cluster/job-handoff.js';

export interface RunnerDeps {
  bus: Bus;
  content: ContentStore;
  options: ExecutorOptions;
  /** Most jobs executed at once. */
  concurrency: number;
  group?: string;
  consumer: string;
  /**
   * Receives an executor's partial output while a job runs (an llm node's token deltas), for live
   * display only: nothing passed here is persisted or published as a result.
   */
  onDelta?: (job: NodeJob, delta: string) => void;
  /**
   * How often, while a job runs, the runner tells the bus it is still working on it
   * (`bus.extend`), so a long job is not redelivered to another runner while this one is alive.
   * Only buses that implement `extend` are told. 0 turns heartbeats off. Default: a third of the
   * bus's redelivery idle time when the bus exposes it as a numeric `redeliverAfterMs`
   * property, else DEFAULT_HEARTBEAT_MS (10 s, a third of the buses' default 30 s). Keep it well
   * below the bus's `redeliverAfterMs`.
   */
  heartbeatMs?: number;
  /**
   * Memoises the results of jobs of these types (ARCHITECTURE §6): a job whose memo key
   * (`memoKey`: type, config, input) has an entry whose content is still in the content store
   * succeeds with that output without executing. Only for types whose output is a function of
   * their config and input. Failures are never memoised. A job whose node is marked `memo: true`
   * (`NodeJob.memo`; the validator allows it on pure types only) is memoised whatever `types`
   * says, so `types` may be empty.
   */
  memo?: { store: ResultMemo; types: readonly NodeType[] };
  /**
   * Told about failures that do not fail a job: a heartbeat that did not reach the bus, a memo
   * lookup or write that failed. Default: a process warning.
   */
  onError?: (err: unknown, context: { job: NodeJob; what: RunnerChore }) => void;
  /**
   * The attempt ledger (the cluster: several runners, jobs delivered at least once). Given, a job
   * is executed only under a claim on its attempt: a job whose attempt finished is answered with
   * the recorded result instead (published again, then acknowledged), and one whose attempt
   * another runner holds waits for that runner's outcome (or for its claim to lapse). So a job
   * delivered again after a crash, a rebalance or an outbox resend never runs a finished attempt
   * again, nor one that is running elsewhere. Absent (one process owns every job: the local
   * topology), jobs run as delivered.
   */
  attempts?: {
    ledger: AttemptLedger;
    /**
     * How long a claim outlives its last renewal (renewed every third of it). Default: the bus's
     * redelivery time, kept between 0.5 and 15 s, so the claim of a runner that died lapses when
     * the bus hands its job to another, not after it; 15 s when the bus does not tell it.
     */
    claimTtlMs?: number;
  };
  /**
   * How long an attempt runs before its start is reported on its own (start-report.ts): an
   * attempt that ends sooner carries its start in its result, one bus message, decision and
   * append fewer. Default DEFAULT_START_REPORT_MS; 0 reports every start at once.
   */
  startReportMs?: number;
  /**
   * How long `stop` lets jobs in hand finish (and publish their results) before aborting them.
   * Default 0: abort at once (a local process stopping on Ctrl-C; its runs resume later). A job
   * aborted by a stop is left unacknowledged, its claim released, so the next owner runs it.
   */
  stopGraceMs?: number;
  /**
   * A service's log (telemetry/log.ts): each line an attempt logs (a task handler's `ctx.log`) is
   * written there too, at its level, besides its NodeLog event — inside the attempt, so with its
   * run, node and trace ids. Absent (the local engine: stdout is the CLI's), only the events.
   */
  log?: Record<'info' | 'warn' | 'error', (fields: object, message: string) => void>;
  /**
   * The meeting point with an orchestrator in the same process (job-handoff.ts): its decisions'
   * jobs come straight from its relay while a slot is free, and their results go straight back
   * to it. Such jobs share the slots of `concurrency`; a bus read already waiting when they came
   * may still bring its count, so for that moment the runner can hold up to twice `concurrency`.
   */
  handoff?: JobHandoff;
}

/** A job handed over in process (job-handoff.ts): no bus delivery to heartbeat or acknowledge. */
interface HandedJob {
  handoff: JobHandoff;
  /** Set once its result was applied or published (the job is over for its row). */
  done: boolean;
}

/** Side work of a job whose failure does not fail the job. */
export type RunnerChore = 'heartbeat' | 'memo-get' | 'memo-set' | 'claim-renew';

const DEFAULT_CLAIM_TTL_MS = 15_000;
/** The shortest default claim: renewed every third of it, a Redis call each. */
const MIN_DEFAULT_CLAIM_TTL_MS = 500;

/**
 * An attempt's start is reported on its own once it has run this long: long enough for a no-op
 * task to end (its output stored) first, on a loaded machine too; short enough that a person
 * watching sees a node running almost as soon as it does.
 */
export const DEFAULT_START_REPORT_MS = 10;

/** The heartbeat interval when neither `heartbeatMs` nor the bus's redelivery time is known. */
export const DEFAULT_HEARTBEAT_MS = 10_000;

/** The fields every result of one attempt shares. */
type ResultBase = { runId: string; nodeId: string; attempt: number; iteration?: number };

/** Results carry the output value inline below this size, so the orchestrator need not read it back. */
const INLINE_VALUE_LIMIT = 64 * 1024;

export const JOB_TOPICS = [Topic.jobsHigh, Topic.jobsMedium, Topic.jobsLow] as const;

/** A result as published on `aob.node.results`: the NodeResult plus, for small outputs, the value. */
export type ResultMessage = NodeResult & { value?: unknown };

/**
 * Executes node jobs from the priority topics: reports the start (start-report.ts), runs the executor under the
 * job's timeout, writes the output to the content store, publishes the result, and only then
 * acknowledges the job (so a runner that dies mid-job has it redelivered).
 */
export class Runner {
  private readonly group: string;
  private readonly heartbeatMs: number;
  private readonly claimTtlMs: number;
  private readonly inflight = new Map<string, AbortController>();
  /** Jobs being handled, for a graceful stop to wait on. */
  private readonly handling = new Set<Promise<void>>();
  private handles = 0;
  private active = 0;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private detach: () => void = () => undefined;

  constructor(private readonly deps: RunnerDeps) {
    this.group = deps.group ?? 'runners';
    this.heartbeatMs = heartbeatIntervalOf(deps);
    this.claimTtlMs = claimTtlOf(deps);
  }

  async start(): Promise<void> {
    await this.deps.bus.ensureGroup(this.group, JOB_TOPICS);
    this.loop = this.run();
    const handoff = this.deps.handoff;
    if (handoff) this.detach = handoff.attachRunner({ take: (m, ended) => this.take(m, ended) });
  }

  /**
   * A job from the orchestrator of this process (job-handoff.ts), started now if a slot is free.
   * `ended('done')` once its result was applied or published, `ended('returned')` if it was left
   * unfinished (the runner stopped): then it must still go out on the bus.
   */
  take(msg: BusMessage, ended: (how: HandedJobEnd) => void): boolean {
    const handoff = this.deps.handoff;
    if (!handoff || this.stopping || this.active >= this.deps.concurrency) return false;
    const handed: HandedJob = { handoff, done: false };
    this.begin(msg, handed, () => ended(handed.done ? 'done' : 'returned'));
    return true;
  }

  /** Taking jobs, with a settled share of them (not joining, not rebalancing). */
  get ready(): boolean {
    return (
      this.loop !== undefined && !this.stopping && (this.deps.bus.settled?.(this.group) ?? true)
    );
  }

  /** Aborts the in-flight attempts of these nodes of a run. */
  abort(runId: string, nodeIds: readonly string[]): void {
    for (const [key, ctl] of this.inflight) {
      const [r, n] = key.split('\u0000');
      if (r === runId && n !== undefined && nodeIds.includes(n)) {
        ctl.abort(new AobError('CANCELLED', `node ${n} of run ${runId} was cancelled`));
      }
    }
  }

  /**
   * Graceful: takes no new job, lets the jobs in hand finish and publish their results for up to
   * `stopGraceMs`, then aborts what is left (unacknowledged, so the next owner runs it).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.detach();
    this.wake?.();
    const grace = this.deps.stopGraceMs ?? 0;
    if (this.handling.size > 0 && grace > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.handling]),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, grace))),
      ]);
      clearTimeout(timer);
    }
    for (const ctl of this.inflight.values())
      ctl.abort(new AobError('CANCELLED', 'runner stopping'));
    await this.loop;
    await Promise.allSettled([...this.handling]);
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const free = this.deps.concurrency - this.active;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      let batch: BusMessage[];
      try {
        batch = await this.deps.bus.read({
          group: this.group,
          consumer: this.deps.consumer,
          topics: JOB_TOPICS,
          count: free,
          blockMs: 1_000,
        });
      } catch (err) {
        if (this.stopping) return;
        throw err;
      }
      // Read while a stop began: left unacknowledged for the next owner, never started here (a
      // job started now would be aborted once the jobs in hand finish).
      if (this.stopping) return;
      for (const msg of batch) this.begin(msg);
    }
  }

  /** Handles a job in a slot of its own; `ended` once it is over, however it ended. */
  private begin(msg: BusMessage, handed?: HandedJob, ended?: () => void): void {
    this.active += 1;
    const handled: Promise<void> = this.handle(msg, handed)
      .catch((err: unknown) => {
        // The job stays unacknowledged and is redelivered; say why unless we are stopping.
        if (!this.stopping) process.emitWarning(`aob runner: ${(err as Error).message}`);
      })
      .finally(() => {
        this.handling.delete(handled);
        this.active -= 1;
        ended?.();
        const w = this.wake;
        this.wake = undefined;
        w?.();
      });
    this.handling.add(handled);
  }

  /**
   * One job in its `process` span (under the trace context of the message, else of the job): the
   * attempt's span (executeJob) and the results' publish spans are its children.
   */
  private async handle(msg: BusMessage, handed?: HandedJob): Promise<void> {
    const job = msg.value as NodeJob;
    if (!handed) recordQueueLag(job.priority, msg.headers);
    const consumed = startProcessSpan(this.deps.bus, msg, job.traceparent);
    if (!consumed) return this.handleJob(msg, job, ROOT_CONTEXT, handed);
    try {
      await this.handleJob(msg, job, consumed.context, handed);
    } catch (err) {
      failSpan(consumed.span, err);
      throw err;
    } finally {
      consumed.span.end();
    }
  }

  /** `cause`: the trace context the job came in, the parent of the attempt's and results' spans. */
  private async handleJob(
    msg: BusMessage,
    job: NodeJob,
    cause: Context,
    handed?: HandedJob,
  ): Promise<void> {
    // Unique per delivery: two copies of one job in hand are two claimers, one of which waits.
    const owner = `${this.deps.consumer}#${++this.handles}`;
    const key = `${job.runId}\u0000${job.nodeId}\u0000${job.iteration ?? ''}\u0000${owner}`;
    const ctl = new AbortController();
    this.inflight.set(key, ctl);
    const base: ResultBase = {
      runId: job.runId,
      nodeId: job.nodeId,
      attempt: job.attempt,
      ...(job.iteration !== undefined ? { iteration: job.iteration } : {}),
    };
    const ledgerKey = attemptKeyOf(job);
    // A handed job has no delivery to keep: its outbox row's claim is renewed by the relay.
    const stopHeartbeat = handed ? () => undefined : this.heartbeat(msg, job);
    const publish = (result: ResultMessage) => this.publish(job.runId, result, cause, handed);
    const acknowledge = async () => {
      if (handed) handed.done = true;
      else await this.deps.bus.ack(this.group, msg.topic, [msg.id]);
    };
    let stopRenewing = () => undefined as void;
    let start: StartReport | undefined;
    try {
      const claim = await this.claim(job, ledgerKey, owner);
      if (claim === undefined) return; // stopping while another runner held it: left unacked
      if (claim.kind === 'finished') {
        // Ran before (its result may not have reached the orchestrator): say it again.
        await publish(claim.outcome as ResultMessage);
        await acknowledge();
        return;
      }
      stopRenewing = this.renewClaim(job, ledgerKey, owner);
      // Fidelity fast records no start: a quiet job reports none.
      start = job.quiet
        ? undefined
        : new StartReport(this.deps.startReportMs ?? DEFAULT_START_REPORT_MS, () =>
            publish({ ...base, kind: 'started' }),
          );
      const memo = this.memoOf(job);
      const hit = memo ? await this.memoLookup(job, memo) : undefined;
      const executed: ResultMessage = hit
        ? { ...base, kind: 'succeeded', output: hit }
        : await this.execute(job, ctl, base, memo, cause, publish);
      if (ctl.signal.aborted && this.stopping) {
        // Left unacked for the next owner, which may take the attempt at once.
        start?.cancel();
        stopRenewing();
        await this.deps.attempts?.ledger.release(ledgerKey, owner);
        return;
      }
      const result: ResultMessage =
        (await start?.ended()) && executed.kind !== 'started' && executed.kind !== 'log'
          ? { ...executed, withStart: true }
          : executed;
      // The outcome is durable before anyone can see the result: whoever gets this job again
      // finds it, whatever happens from here on.
      const { value: _inline, ...outcome } = result;
      stopRenewing();
      await this.deps.attempts?.ledger.finish(ledgerKey, owner, outcome);
      await publish(result);
      await acknowledge();
    } finally {
      start?.cancel();
      stopRenewing();
      stopHeartbeat();
      this.inflight.delete(key);
    }
  }

  /**
   * Claims the job's attempt in the ledger (claimed at once without one). While another runner
   * holds it, waits and asks again, until it finishes there (its outcome is the answer) or its
   * claim lapses (then this runner gets it). Undefined when the runner stops meanwhile.
   */
  private async claim(
    job: NodeJob,
    key: AttemptKey,
    owner: string,
  ): Promise<{ kind: 'claimed' } | { kind: 'finished'; outcome: unknown } | undefined> {
    const attempts = this.deps.attempts;
    if (!attempts) return { kind: 'claimed' };
    const ttl = this.claimTtlMs;
    for (;;) {
      const answer = await attempts.ledger.claim(key, owner, ttl);
      if (answer.kind !== 'busy') return answer;
      if (this.stopping) return undefined;
      // Jittered, so two claimers that saw each other do not meet again.
      const wait = Math.min(1_000, ttl / 4) * (0.5 + Math.random());
      await new Promise((r) => setTimeout(r, wait));
      if (this.stopping) return undefined;
    }
  }

  /** Renews the job's claim every third of its lifetime; returns the stop function. */
  private renewClaim(job: NodeJob, key: AttemptKey, owner: string): () => void {
    const attempts = this.deps.attempts;
    if (!attempts) return () => undefined;
    const ttl = this.claimTtlMs;
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      attempts.ledger
        .renew(key, owner, ttl)
        .catch((err: unknown) => this.reportError(err, job, 'claim-renew'))
        .finally(() => (busy = false));
    }, ttl / 3);
    timer.unref?.();
    return () => clearInterval(timer);
  }

  /** Runs the executor and stores (and memoises) the output; a thrown error is a failed result. */
  private async execute(
    job: NodeJob,
    ctl: AbortController,
    base: ResultBase,
    memo: { store: ResultMemo; key: string } | undefined,
    cause: Context,
    publish: (result: ResultMessage) => Promise<void>,
  ): Promise<ResultMessage> {
    const spending = new AttemptSpending(job, this.deps.options.llm?.prices);
    try {
      const out = await executeJob(job, {
        options: this.deps.options,
        content: this.deps.content,
        ctl,
        spending,
        log: this.logger(job, publish),
        trace: cause,
        ...(this.deps.onDelta ? { stream: (delta: string) => this.deps.onDelta!(job, delta) } : {}),
      });
      if (memo) await this.memoStore(job, memo, out.ref);
      // A memo hit (above) spent nothing this time, so only an execution reports usage.
      return {
        ...base,
        kind: 'succeeded',
        output: out.ref,
        ...(out.usage ? { usage: out.usage } : {}),
        ...(out.bytes <= INLINE_VALUE_LIMIT ? { value: out.value } : {}),
      };
    } catch (err) {
      // An agent that asked a person: not a failure, the attempt waits for the answer.
      const suspended = suspendedResultOf(err, job, base, this.deps.options.llm?.prices);
      if (suspended) return suspended;
      // What it spent before it failed counts toward its run's budget too.
      const usage = spending.usage;
      return { ...base, kind: 'failed', error: toErrorData(err), ...(usage ? { usage } : {}) };
    }
  }

  /** Starts extending the job's message every `heartbeatMs`; returns the stop function. */
  private heartbeat(msg: BusMessage, job: NodeJob): () => void {
    const bus = this.deps.bus;
    if (this.heartbeatMs <= 0 || !bus.extend) return () => undefined;
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return; // a slow bus: never pile up extends
      busy = true;
      bus.extend!(this.group, this.deps.consumer, msg.topic, [msg.id])
        .catch((err: unknown) => this.reportError(err, job, 'heartbeat'))
        .finally(() => (busy = false));
    }, this.heartbeatMs);
    timer.unref?.();
    return () => clearInterval(timer);
  }

  /** The memo key of the job if its type is memoised or its node is marked `memo: true`. */
  private memoOf(job: NodeJob): { store: ResultMemo; key: string } | undefined {
    const memo = this.deps.memo;
    if (!memo || !(job.memo === true || memo.types.includes(job.type))) return undefined;
    return { store: memo.store, key: memoKey(job) };
  }

  /** A memoised output still in the content store; anything else (absent, gone, error) is a miss. */
  private async memoLookup(
    job: NodeJob,
    memo: { store: ResultMemo; key: string },
  ): Promise<CasRef | undefined> {
    try {
      const ref = await memo.store.get(memo.key);
      if (ref && (await this.deps.content.has(ref))) return ref;
    } catch (err) {
      this.reportError(err, job, 'memo-get');
    }
    return undefined;
  }

  private async memoStore(
    job: NodeJob,
    memo: { store: ResultMemo; key: string },
    ref: CasRef,
  ): Promise<void> {
    try {
      await memo.store.set(memo.key, ref);
    } catch (err) {
      this.reportError(err, job, 'memo-set');
    }
  }

  private reportError(err: unknown, job: NodeJob, what: RunnerChore) {
    try {
      if (this.deps.onError) this.deps.onError(err, { job, what });
      else
        process.emitWarning(`aob runner: ${what} for ${job.runId}/${job.nodeId}: ${String(err)}`);
    } catch {
      // a throwing reporter must not fail the job either
    }
  }

  /** A result, in a publish span under `cause` (the job's trace context) when it has one. */
  private async publish(
    runId: string,
    result: ResultMessage,
    cause?: Context,
    handed?: HandedJob,
  ): Promise<void> {
    // A handed job's result goes to the orchestrator of this process, unless it cannot take it.
    if (handed) {
      const traced = cause && result.kind !== 'log' && result.kind !== 'started';
      const traceparent = traced ? traceparentOf(cause) : undefined;
      const headers: Record<string, string> =
        traceparent !== undefined ? { [TRACEPARENT]: traceparent } : {};
      if (await handed.handoff.deliver(runId, result, headers)) return;
    }
    // Log lines and a node's start go with no trace context, so with no publish or process span:
    // a chatty handler would bury the attempt's span, and the attempt's span covers its start
    // (whose decision has no span either).
    if (result.kind === 'log' || result.kind === 'started') {
      await this.deps.bus.publish(Topic.results, runId, result);
    } else await publishTraced(this.deps.bus, Topic.results, runId, result, cause);
  }

  private logger(job: NodeJob, publish: (result: ResultMessage) => Promise<void>) {
    const log = (level: 'info' | 'warn' | 'error') => (message: string) => {
      this.deps.log?.[level]({ nodeLog: true }, message);
      void publish({
        runId: job.runId,
        nodeId: job.nodeId,
        attempt: job.attempt,
        ...(job.iteration !== undefined ? { iteration: job.iteration } : {}),
        level,
        message,
        kind: 'log',
      }).catch(() => undefined);
    };
    return { info: log('info'), warn: log('warn'), error: log('error') };
  }
}

function claimTtlOf(deps: RunnerDeps): number {
  const given = deps.attempts?.claimTtlMs;
  if (given !== undefined) return given;
  const idle = redeliveryOf(deps.bus);
  if (idle === undefined) return DEFAULT_CLAIM_TTL_MS;
  return Math.min(DEFAULT_CLAIM_TTL_MS, Math.max(MIN_DEFAULT_CLAIM_TTL_MS, idle));
}

/** The bus's redelivery time: the adapters keep it as `redeliverAfterMs`. */
function redeliveryOf(bus: RunnerDeps['bus']): number | undefined {
  const idle = (bus as { redeliverAfterMs?: unknown }).redeliverAfterMs;
  return typeof idle === 'number' && Number.isFinite(idle) && idle > 0 ? idle : undefined;
}

function heartbeatIntervalOf(deps: RunnerDeps): number {
  if (deps.heartbeatMs !== undefined) {
    if (!Number.isFinite(deps.heartbeatMs) || deps.heartbeatMs < 0) {
      throw new RangeError(`Runner: heartbeatMs must be >= 0, got ${deps.heartbeatMs}`);
    }
    return deps.heartbeatMs;
  }
  const idle = redeliveryOf(deps.bus);
  return idle === undefined ? DEFAULT_HEARTBEAT_MS : Math.max(1, Math.floor(idle / 3));
}
