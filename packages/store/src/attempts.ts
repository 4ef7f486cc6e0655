// The attempt ledger: a durable record, per node attempt, of who is executing it and what it
// ended with. Runners consult it before executing a job, so a job delivered again — after a
// runner died between publishing its result and committing its offset, after a rebalance moved
// a partition whose offsets could not be committed, or as a duplicate sent twice by the outbox —
// never executes an attempt that finished, nor one another runner is executing now.
//
// Where it lives is the installation's choice (AOB_ATTEMPT_LEDGER): beside the outputs in the
// content store's bucket (the cluster's default: a runner needs no credentials it does not hold
// already), in Redis (the small install's default, its bus being there), or in the cluster's
// PostgreSQL (one statement per claim or outcome, for runners allowed to reach the database).

/** How long a ledger keeps an attempt's entry by default: entries are never read once its run is over. */
export const DEFAULT_LEDGER_RETAIN_MS = 7 * 24 * 3_600_000;

/** One attempt of one node (or of one map item) of a run. */
export interface AttemptKey {
  runId: string;
  nodeId: string;
  iteration?: number;
  attempt: number;
  /**
   * The question an attempt's job goes on from (`job.resume.questionId`): an agent's attempt that
   * asked runs once more per answer, each run its own ledger entry, so a resumed job is never
   * answered with the `suspended` outcome recorded before the question was answered.
   */
  resume?: string;
}

/** What `claim` found. */
export type ClaimAnswer =
  /** The caller holds the attempt until its claim lapses: execute it, then `finish`. */
  | { kind: 'claimed' }
  /** The attempt ended: here is the outcome recorded by whoever executed it. Do not execute. */
  | { kind: 'finished'; outcome: unknown }
  /** Another owner holds a live claim (and the caller's own claim was withdrawn): wait. */
  | { kind: 'busy'; owners: string[] };

export interface AttemptLedger {
  /**
   * Claims an attempt for `owner` for `ttlMs`. Invariant: of concurrent claimers of one attempt
   * at most one gets `claimed` while its claim is live, and none once an outcome is recorded.
   * A claim whose owner stopped renewing it lapses after `ttlMs`, and the attempt is claimable
   * again (the attempt in flight when its runner died may run once more: at least once).
   */
  claim(key: AttemptKey, owner: string, ttlMs: number): Promise<ClaimAnswer>;
  /** Extends a claim the owner holds (a long attempt heartbeats with this). */
  renew(key: AttemptKey, owner: string, ttlMs: number): Promise<void>;
  /** Records the outcome (before its result is published) and withdraws the owner's claim. */
  finish(key: AttemptKey, owner: string, outcome: unknown): Promise<void>;
  /** Withdraws a claim without an outcome (an attempt abandoned unfinished, to run again). */
  release(key: AttemptKey, owner: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The key's path segments: ids are encoded, so any id is one segment. A resumed run of an attempt
 * is `<attempt>~<questionId>`, beside the attempt's own segment rather than under it (no prefix
 * listing of one reaches the other).
 */
export function attemptPath(key: AttemptKey): string {
  const item = key.iteration === undefined ? '-' : String(key.iteration);
  const attempt =
    key.resume === undefined
      ? String(key.attempt)
      : `${key.attempt}~${encodeURIComponent(key.resume)}`;
  return [encodeURIComponent(key.runId), encodeURIComponent(key.nodeId), item, attempt].join('/');
}
