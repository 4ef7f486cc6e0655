// A runner outside the cluster (`aob agent-runner`, ARCHITECTURE §7): it reaches the cluster
// through the API only, with a `runner` token — no bus, no database, no S3. It claims jobs whose
// node asks for one of its labels (a long poll), executes each with the executors and settings a
// cluster runner has (executeJob), keeps the job's lease alive while it works, stores values
// through the API and reports the attempt's end under its lease. The agent's tools reach the run
// with the job token the claim carries (api-agent-host.ts). It keeps nothing: killed, its leases
// run out and other runners take its jobs; stopped, it gives them up at once.
import type { CasRef, Content, NodeJob } from '@aob/core';
import { AobError, toErrorData } from '@aob/core';
import type { AobHttpClient, RunnerClaim, RunnerReport } from '@aob/client';
import type { ContentStore } from '@aob/store';
import type { ExecutorOptions } from '../executors/types.js';
import { executeJob } from './execute-job.js';
import { AttemptSpending } from './usage.js';
import { suspensionReportOf } from './suspended.js';
import { DeltaPublisher } from './delta-publisher.js';

/** How long a finished job waits for its last token deltas to be posted. */
const DELTA_FLUSH_MS = 1_000;

export interface OutsideRunnerOptions {
  /** The API, with a `runner` token. */
  client: AobHttpClient;
  /** An API client for a job's own token (the agent's reads of its run). */
  jobClient: (token: string) => AobHttpClient;
  labels: readonly string[];
  /** Jobs executed at once. */
  concurrency: number;
  /** The executors' settings; `agentHost` reaches the run with the job's token. */
  options: ExecutorOptions;
  /** The lease asked for (renewed every third of it). Default 30 s. */
  leaseMs?: number;
  /** How long one claim waits for a job. Default 20 s. */
  waitMs?: number;
  /** What happens, for the command's output. */
  onEvent?: (event: OutsideRunnerEvent) => void;
}

export type OutsideRunnerEvent =
  | { type: 'claimed'; job: JobRef; deliveries: number }
  | { type: 'finished'; job: JobRef; outcome: string; errorCode?: string }
  | { type: 'lost'; job: JobRef; reason: string }
  | { type: 'released'; job: JobRef }
  | { type: 'error'; message: string };

export interface JobRef {
  runId: string;
  nodeId: string;
  attempt: number;
  iteration?: number;
  leaseId: string;
}

const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_WAIT_MS = 20_000;
/** Tries of a report the API did not answer, while the lease is still kept alive. */
const REPORT_TRIES = 5;

export class OutsideRunner {
  private stopping = false;
  private readonly stopClaims = new AbortController();
  private readonly inflight = new Map<string, AbortController>();
  private workers: Promise<void>[] = [];

  constructor(private readonly opts: OutsideRunnerOptions) {}

  /** Starts `concurrency` claim loops; `done` settles when `stop` has ended them. */
  start(): void {
    this.workers = Array.from({ length: Math.max(1, this.opts.concurrency) }, () => this.work());
  }

  get done(): Promise<void> {
    return Promise.all(this.workers).then(() => undefined);
  }

  /** Takes no more jobs; aborts the jobs in hand and gives their leases up. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopClaims.abort();
    for (const ctl of this.inflight.values()) {
      ctl.abort(new AobError('CANCELLED', 'the agent runner is stopping'));
    }
    await this.done;
  }

  private get leaseMs(): number {
    return this.opts.leaseMs ?? DEFAULT_LEASE_MS;
  }

  private emit(event: OutsideRunnerEvent): void {
    try {
      this.opts.onEvent?.(event);
    } catch {
      // a throwing listener changes nothing here
    }
  }

  private async work(): Promise<void> {
    let backoff = 0;
    while (!this.stopping) {
      let claim: RunnerClaim | undefined;
      try {
        claim = await this.opts.client.claimRunnerJob(
          {
            labels: [...this.opts.labels],
            waitMs: this.opts.waitMs ?? DEFAULT_WAIT_MS,
            leaseMs: this.leaseMs,
          },
          { signal: this.stopClaims.signal },
        );
        backoff = 0;
      } catch (err) {
        if (this.stopping) return;
        // The API is away or refuses: say so, wait a little longer each time, ask again.
        this.emit({ type: 'error', message: `claim failed: ${messageOf(err)}` });
        backoff = Math.min(10_000, Math.max(500, backoff * 2));
        await new Promise((r) => setTimeout(r, backoff));
        continue;
      }
      if (claim) await this.handle(claim);
    }
  }

  private async handle(claim: RunnerClaim): Promise<void> {
    const { job } = claim;
    const { leaseId } = claim.lease;
    const ref: JobRef = {
      runId: job.runId,
      nodeId: job.nodeId,
      attempt: job.attempt,
      ...(job.iteration !== undefined ? { iteration: job.iteration } : {}),
      leaseId,
    };
    this.emit({ type: 'claimed', job: ref, deliveries: claim.lease.deliveries });
    const ctl = new AbortController();
    this.inflight.set(leaseId, ctl);
    let lost: string | undefined;
    const onLost = (reason: string) => {
      lost ??= reason;
      ctl.abort(new AobError('LEASE_LOST', reason));
    };
    const stopHeartbeat = this.heartbeat(leaseId, onLost);
    try {
      const client = this.opts.client;
      await client.reportRunnerResult(leaseId, { kind: 'started' });
      // The model's text as it streams, posted to the API in batches for the run's timelines;
      // never waited for by the job (a slow API drops the oldest, as on a cluster runner).
      const deltas = new DeltaPublisher({
        send: async (batch) => {
          await client.reportRunnerDeltas(
            leaseId,
            batch.map((d) => d.delta),
          );
        },
      });
      let report: RunnerReport;
      const spending = new AttemptSpending(job, this.opts.options.llm?.prices);
      try {
        const out = await executeJob(job, {
          options: this.opts.options,
          content: this.contentOf(leaseId, job),
          ctl,
          spending,
          log: this.logger(leaseId),
          stream: (delta) =>
            deltas.push({
              runId: job.runId,
              nodeId: job.nodeId,
              attempt: job.attempt,
              delta,
              at: Date.now(),
            }),
        });
        report = { kind: 'succeeded', output: out.ref, ...(out.usage ? { usage: out.usage } : {}) };
      } catch (err) {
        // An agent that asked a person (its saved state uploaded): the attempt waits.
        const usage = spending.usage;
        report = suspensionReportOf(err, job, this.opts.options.llm?.prices) ?? {
          kind: 'failed',
          error: toErrorData(err),
          ...(usage ? { usage } : {}),
        };
      }
      // The text shown before the result that ends it (bounded: display must not hold a job).
      await Promise.race([deltas.idle(), new Promise((r) => setTimeout(r, DELTA_FLUSH_MS))]);
      await deltas.close();
      if (lost !== undefined) {
        this.emit({ type: 'lost', job: ref, reason: lost });
        return;
      }
      if (this.stopping && ctl.signal.aborted) {
        await client.releaseRunnerLease(leaseId).catch(() => undefined);
        this.emit({ type: 'released', job: ref });
        return;
      }
      await this.reportEnd(leaseId, report);
      this.emit({
        type: 'finished',
        job: ref,
        outcome: report.kind,
        ...(report.kind === 'failed' ? { errorCode: report.error.code } : {}),
      });
    } catch (err) {
      if (isLeaseLost(err)) this.emit({ type: 'lost', job: ref, reason: messageOf(err) });
      else
        this.emit({ type: 'error', message: `job ${ref.runId}/${ref.nodeId}: ${messageOf(err)}` });
    } finally {
      stopHeartbeat();
      this.inflight.delete(leaseId);
    }
  }

  /** Reports the attempt's end, asking again while the API does not answer. */
  private async reportEnd(leaseId: string, report: RunnerReport): Promise<void> {
    for (let tries = 1; ; tries++) {
      try {
        await this.opts.client.reportRunnerResult(leaseId, report);
        return;
      } catch (err) {
        if (codeOf(err) !== 'SERVER_UNREACHABLE' || tries >= REPORT_TRIES) throw err;
        await new Promise((r) => setTimeout(r, 500 * tries));
      }
    }
  }

  /** Renews the lease every third of it; a lease another runner took aborts the job. */
  private heartbeat(leaseId: string, onLost: (reason: string) => void): () => void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      this.opts.client
        .heartbeatRunnerLease(leaseId, this.leaseMs)
        .catch((err: unknown) => {
          if (isLeaseLost(err)) onLost(messageOf(err));
          else this.emit({ type: 'error', message: `heartbeat failed: ${messageOf(err)}` });
        })
        .finally(() => (busy = false));
    }, this.leaseMs / 3);
    timer.unref?.();
    return () => clearInterval(timer);
  }

  /** Where the job's values go: the API's content store, under the lease. */
  private contentOf(leaseId: string, job: NodeJob): ContentStore {
    const client = this.opts.client;
    const reader = job.jobToken ? this.opts.jobClient(job.jobToken.token) : undefined;
    const read = async (ref: CasRef): Promise<unknown> => {
      if (!reader) throw new AobError('CONTENT_NOT_FOUND', `no job token to read ${ref.$cas}`);
      return reader.getRunContent(job.runId, ref.$cas);
    };
    return {
      put: (value: unknown, _known?: Content) => client.putRunnerContent(leaseId, value),
      get: read,
      has: (ref) =>
        read(ref).then(
          () => true,
          () => false,
        ),
      close: async () => undefined,
    };
  }

  /** A node's log lines, reported as progress (never waited for). */
  private logger(leaseId: string) {
    const log = (level: 'info' | 'warn' | 'error') => (message: string) => {
      void this.opts.client
        .reportRunnerResult(leaseId, { kind: 'log', level, message })
        .catch(() => undefined);
    };
    return { info: log('info'), warn: log('warn'), error: log('error') };
  }
}

// Client errors are compared by code (ARCHITECTURE §8), never by class.
const codeOf = (err: unknown): unknown => (err as { code?: unknown } | null)?.code;

function isLeaseLost(err: unknown): boolean {
  return codeOf(err) === 'LEASE_LOST';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
