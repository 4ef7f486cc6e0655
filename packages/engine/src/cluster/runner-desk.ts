// The API's side of the runner queue (ARCHITECTURE §7): what runners outside the cluster do
// through the API with a `runner` token — claim a job (a long poll), keep its lease alive, upload
// the values their results refer to, report, give a lease up. They never touch the bus or the
// database: this desk does, for them. A claimed agent job is sealed with a fresh job token (the
// agent's tools reach its run through the API, as on cluster runners). A report is the runner's
// NodeResult for the leased attempt, forwarded on `aob.node.results` like a cluster runner's:
// progress (`started`, `log`) while the lease is current, and any other kind — the attempt's end —
// once, under the lease current then, recorded in the queue before it is published (so a result
// lost on its way is published again when the attempt is sent again, and a runner that was taken
// over cannot add a second ending). Result kinds are not interpreted here beyond that split: the
// caller checks a report against schemas/agent-result.schema.json, so a new kind is a schema
// change.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Bus } from '@aob/bus';
import type { CasRef, NodeJob, NodeResult } from '@aob/core';
import { AobError, isTerminalStatus, Topic } from '@aob/core';
import type { ContentStore, RunLogStore, RunnerJobStore, RunnerLease } from '@aob/store';
import type { JobTokenMinter } from './job-tokens.js';

/** Result kinds that report progress; every other kind ends the attempt. */
export const PROGRESS_KINDS: ReadonlySet<string> = new Set(['started', 'log']);

export const DEFAULT_RUNNER_LEASE_MS = 30_000;
/** The shortest and longest lease a runner may ask for. */
export const RUNNER_LEASE_BOUNDS = { min: 2_000, max: 600_000 } as const;
/** The longest a claim waits for a job. */
export const MAX_CLAIM_WAIT_MS = 60_000;

export interface RunnerDeskOptions {
  store: RunnerJobStore & Pick<RunLogStore, 'getRun'>;
  content: ContentStore;
  bus: Bus;
  /** Seals claimed jobs with a job token (the orchestrators' minter, in the API). */
  tokens: Pick<JobTokenMinter, 'seal'>;
  now?: () => number;
  /** How often a waiting claim looks at the queue again. Default 250 ms. */
  pollMs?: number;
}

/** Who asks: a runner token's subject and namespace. */
export interface RunnerIdentity {
  subject: string;
  namespace: string;
}

export interface RunnerClaim {
  lease: { leaseId: string; expiresAt: number; deliveries: number };
  job: NodeJob;
}

export class RunnerDesk {
  private readonly now: () => number;

  constructor(private readonly opts: RunnerDeskOptions) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * A job of the runner's namespace with one of its labels, leased to it: at once, or as soon as
   * one is queued within `waitMs`; undefined if none came (or `signal` aborted: the caller left).
   */
  async claim(
    who: RunnerIdentity,
    req: { labels: readonly string[]; waitMs?: number; leaseMs?: number },
    signal?: AbortSignal,
  ): Promise<RunnerClaim | undefined> {
    const leaseMs = leaseMsOf(req.leaseMs);
    const deadline = this.now() + Math.min(Math.max(req.waitMs ?? 0, 0), MAX_CLAIM_WAIT_MS);
    for (;;) {
      if (signal?.aborted) return undefined;
      const lease = await this.opts.store.claimRunnerJob({
        namespace: who.namespace,
        labels: req.labels,
        owner: who.subject,
        leaseId: `lse_${randomBytes(18).toString('base64url')}`,
        now: this.now(),
        leaseMs,
      });
      if (lease) {
        const claim = await this.handOver(lease);
        if (claim) return claim;
        continue;
      }
      const left = deadline - this.now();
      if (left <= 0) return undefined;
      // An abort (the caller left) ends the wait; the loop then answers nothing.
      await sleep(Math.min(left, this.opts.pollMs ?? 250), undefined, {
        ...(signal ? { signal } : {}),
      }).catch(() => undefined);
    }
  }

  /** Extends a lease; its new expiry. LEASE_LOST if it is no longer the job's. */
  async heartbeat(
    who: RunnerIdentity,
    leaseId: string,
    leaseMs?: number,
  ): Promise<{ expiresAt: number }> {
    await this.current(who, leaseId);
    const expiresAt = await this.opts.store.renewRunnerLease(
      leaseId,
      this.now(),
      leaseMsOf(leaseMs),
    );
    if (expiresAt === undefined) throw leaseLost(leaseId);
    return { expiresAt };
  }

  /** Stores a value the lease's results will refer to; its reference. */
  async putContent(who: RunnerIdentity, leaseId: string, value: unknown): Promise<CasRef> {
    await this.current(who, leaseId);
    return this.opts.content.put(value);
  }

  /**
   * Forwards the runner's report on the leased attempt (already checked against its schema).
   * `final` says whether it ended the attempt.
   */
  async report(
    who: RunnerIdentity,
    leaseId: string,
    report: { kind: string } & Record<string, unknown>,
  ): Promise<{ accepted: true; final: boolean }> {
    const lease = await this.current(who, leaseId);
    const job = lease.job as NodeJob;
    const result = {
      ...report,
      runId: job.runId,
      nodeId: job.nodeId,
      attempt: job.attempt,
      ...(job.iteration !== undefined ? { iteration: job.iteration } : {}),
    } as NodeResult;
    if (PROGRESS_KINDS.has(report.kind)) {
      await this.opts.bus.publish(Topic.results, job.runId, result);
      return { accepted: true, final: false };
    }
    const missing = await this.missingContent(report);
    if (missing.length > 0) {
      throw new AobError(
        'CONTENT_NOT_FOUND',
        `the result refers to content the store does not hold: ${missing.join(', ')} (upload it first: POST /v1/runner/leases/${leaseId}/content)`,
      );
    }
    if (!(await this.opts.store.finishRunnerJob(leaseId, result, this.now()))) {
      throw leaseLost(leaseId);
    }
    await this.opts.bus.publish(Topic.results, job.runId, result);
    return { accepted: true, final: true };
  }

  /**
   * Token deltas of the leased attempt, for live display: published on `aob.node.deltas` as a
   * cluster runner publishes them (never the event log). LEASE_LOST from a runner taken over.
   */
  async deltas(
    who: RunnerIdentity,
    leaseId: string,
    texts: readonly string[],
  ): Promise<{ accepted: number }> {
    const lease = await this.current(who, leaseId);
    const job = lease.job as NodeJob;
    const at = this.now();
    await Promise.all(
      texts.map((delta) =>
        this.opts.bus.publish(Topic.deltas, job.runId, {
          runId: job.runId,
          nodeId: job.nodeId,
          attempt: job.attempt,
          delta,
          at,
        }),
      ),
    );
    return { accepted: texts.length };
  }

  /** Gives a lease up: the job is claimable by another runner at once. */
  async release(who: RunnerIdentity, leaseId: string): Promise<{ released: true }> {
    await this.current(who, leaseId);
    if (!(await this.opts.store.releaseRunnerLease(leaseId))) throw leaseLost(leaseId);
    return { released: true };
  }

  /**
   * The claim to answer with, or undefined when the job's run is over (the job is finished with
   * nothing to say and the caller claims again).
   */
  private async handOver(lease: RunnerLease): Promise<RunnerClaim | undefined> {
    const run = await this.opts.store.getRun(lease.runId);
    if (!run || isTerminalStatus(run.status)) {
      await this.opts.store.finishRunnerJob(lease.leaseId, undefined, this.now());
      return undefined;
    }
    const job = await this.opts.tokens.seal(lease.job as NodeJob, lease.namespace);
    return {
      lease: { leaseId: lease.leaseId, expiresAt: lease.expiresAt, deliveries: lease.deliveries },
      job,
    };
  }

  /** The lease, if it is current and the runner's namespace's; LEASE_LOST otherwise. */
  private async current(who: RunnerIdentity, leaseId: string): Promise<RunnerLease> {
    const lease = await this.opts.store.runnerLease(leaseId);
    // Another namespace's lease is as unknown as one that does not exist.
    if (!lease || lease.namespace !== who.namespace) throw leaseLost(leaseId);
    return lease;
  }

  /** The content references in a report that the store does not hold. */
  private async missingContent(report: unknown): Promise<string[]> {
    const refs = refsIn(report);
    const held = await Promise.all(refs.map((r) => this.opts.content.has(r)));
    return refs.filter((_, i) => !held[i]).map((r) => r.$cas);
  }
}

function leaseMsOf(ms: number | undefined): number {
  const { min, max } = RUNNER_LEASE_BOUNDS;
  return Math.min(Math.max(ms ?? DEFAULT_RUNNER_LEASE_MS, min), max);
}

function leaseLost(leaseId: string): AobError {
  return new AobError(
    'LEASE_LOST',
    `lease ${leaseId} is not its job's any more (it ran out and another runner claimed the job, it was released, or the job finished): drop the job`,
  );
}

/** Every `{ $cas, size }` in a value. */
function refsIn(value: unknown, out: CasRef[] = []): CasRef[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$cas === 'string' && typeof o.size === 'number') out.push(o as unknown as CasRef);
    else for (const v of Object.values(o)) refsIn(v, out);
  }
  return out;
}
