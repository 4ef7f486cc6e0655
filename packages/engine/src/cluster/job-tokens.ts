// Job tokens (ARCHITECTURE §9): how an agent on a cluster runner reaches its run. Runners hold no
// database credentials, so an agent reads its run and proposes patches through the API, like any
// client, with a bearer token minted for its job: role `agent`, subject `agent:<nodeId>` (the
// author its proposals have locally), scoped to the job's run, expiring with the job — its
// timeout plus a grace for the time it may wait in the job topic. The token is minted when the
// outbox relay publishes the job (OutboxRelay `prepare`): only its hash is stored (in the token
// table, like every token), and its plaintext travels in the job message only, never in the log
// or the outbox. A job published again (the relay's sweep after a crash) gets a fresh token; a
// retry or a re-dispatch is a new job, and so gets one too.
import { AobError, NodeType, Topic } from '@aob/core';
import type { NodeJob } from '@aob/core';
import type { OutboxRecord, RunLogStore, TokenStore } from '@aob/store';
import { storeNewToken } from '@aob/store';
import { agentAuthor } from '../executors/agent/tools.js';

/** How long past its timeout a job token stays valid by default: a job's wait in the topic. */
export const DEFAULT_JOB_TOKEN_GRACE_MS = 300_000;

const JOB_TOPICS: readonly string[] = [Topic.jobsHigh, Topic.jobsMedium, Topic.jobsLow];

export interface JobTokenMinterOptions {
  /** Where the token's hash goes, and where the run's namespace is read. */
  store: TokenStore & Pick<RunLogStore, 'getRun'>;
  now: () => number;
  /** Added to the job's timeout: the token expires at mint time + timeout + grace. */
  graceMs?: number;
  /** Who minted it (the token's `createdBy`): the orchestrator instance. */
  instance: string;
}

export class JobTokenMinter {
  private readonly graceMs: number;

  constructor(private readonly opts: JobTokenMinterOptions) {
    this.graceMs = opts.graceMs ?? DEFAULT_JOB_TOKEN_GRACE_MS;
  }

  /**
   * The value to publish for an outbox row: an agent job with a fresh job token; anything else
   * as it is. The token's hash is stored before the job can be published, so no runner ever holds
   * a token the API does not know.
   */
  readonly prepare = async (row: Pick<OutboxRecord, 'topic' | 'value'>): Promise<unknown> => {
    if (!JOB_TOPICS.includes(row.topic)) return row.value;
    const job = row.value as NodeJob;
    if (job.type !== NodeType.agent) return row.value;
    const run = await this.opts.store.getRun(job.runId);
    if (!run) throw new AobError('RUN_NOT_FOUND', `no run ${job.runId} for its agent job`);
    return this.seal(job, run.namespace);
  };

  /**
   * The agent job with a fresh job token for its run, of namespace `namespace`; the token's hash
   * is stored first. The API seals the jobs it hands to runners outside the cluster this way
   * (runner-desk.ts), as each is claimed.
   */
  async seal(job: NodeJob, namespace: string): Promise<NodeJob> {
    const now = this.opts.now();
    const expiresAt = now + job.timeoutMs + this.graceMs;
    const { token } = await storeNewToken(this.opts.store, {
      subject: agentAuthor(job.nodeId),
      role: 'agent',
      namespace,
      groups: [],
      createdAt: now,
      createdBy: this.opts.instance,
      runId: job.runId,
      expiresAt,
    });
    const sealed: NodeJob = { ...job, jobToken: { token, expiresAt } };
    return sealed;
  }

  /** Deletes the job tokens that expired; returns how many. */
  purge(): Promise<number> {
    return this.opts.store.deleteExpiredTokens(this.opts.now());
  }
}
