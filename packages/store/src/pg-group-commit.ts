// Group commit for the PostgreSQL event store: appends are queued and committed many at a time in
// ONE transaction. A batch is flushed on setImmediate or, while one is being committed, as soon as
// that commit finishes (so under load a batch is whatever arrived during the previous commit).
// A batch:
//   1. locks the rows of the runs it touches that exist (SELECT … FOR UPDATE, in run-id order, so
//      two batches, of this process or another, cannot deadlock on them) and reads their last seq;
//   2. checks each append against its run's last seq as the batch has moved it (pg-batch.ts),
//      so every append keeps its own check and its own outcome;
//   3. creates the new runs (INSERT … ON CONFLICT DO NOTHING: a run another writer created first
//      turns this batch's appends to it into conflicts), then advances the summaries, inserts the
//      events and the outbox rows in one statement, and commits.
// A batch whose runs all exist and whose appends follow each other is first written the
// optimistic way: the same writes as one autocommitted statement that locks the runs itself and
// writes only if each stands where the batch expects it (one round trip instead of four: BEGIN,
// the lock, the writes, COMMIT). If one does not, that statement wrote nothing, and the batch
// takes the path above.
// Each append's promise is settled on its own: a SEQ_CONFLICT rejects that append only.
// The events primary key (run_id, seq) remains the last guard: should it ever fire, the batch is
// retried one append per transaction so that only the culprit is rejected. A deadlock (possible
// only between batches creating the same new runs in different orders) is retried.
import type { Pool, PoolClient } from 'pg';
import type { AobError } from '@aob/core';
import { seqConflict } from './errors.js';
import {
  createColumns,
  createdRunIds,
  loseRuns,
  optimisticPlan,
  planBatch,
  writeColumns,
} from './pg-batch.js';
import type { LockedRun, QueuedAppend } from './pg-batch.js';
import { sql } from './pg-statements.js';

/** How many transactions the group commit has run for how many appends (for tests and metrics). */
export interface GroupCommitStats {
  transactions: number;
  appends: number;
  /** Of the transactions, those that were one guarded statement (the optimistic path). */
  guarded: number;
}

const MAX_TX_RETRIES = 5;

export class GroupCommit {
  private queue: QueuedAppend[] = [];
  private flushScheduled = false;
  private flushing: Promise<void> | undefined;
  private readonly counters: GroupCommitStats = { transactions: 0, appends: 0, guarded: 0 };

  constructor(
    private readonly pool: Pool,
    private readonly maxBatch: number,
  ) {}

  get stats(): GroupCommitStats {
    return { ...this.counters };
  }

  /** Queues an append; its promise callbacks are called once its batch is committed. */
  submit(append: QueuedAppend): void {
    this.queue.push(append);
    if (!this.flushScheduled && this.flushing === undefined) {
      this.flushScheduled = true;
      setImmediate(this.startFlush);
    }
  }

  /** Resolves once everything queued so far is committed (or rejected). */
  async flush(): Promise<void> {
    this.startFlush();
    await this.flushing;
  }

  private readonly startFlush = (): void => {
    this.flushScheduled = false;
    if (this.flushing === undefined && this.queue.length > 0) this.flushing = this.drain();
  };

  /** Commits batches until the queue is empty; whatever arrives meanwhile joins the next batch. */
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        await this.commit(batch);
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** Commits one batch and settles every append in it; never throws. */
  private async commit(batch: readonly QueuedAppend[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const outcomes = await this.transaction(batch);
        batch.forEach((a, i) => {
          const failure = outcomes[i];
          if (failure === undefined) a.resolve(a.envelopes);
          else a.reject(failure);
        });
        return;
      } catch (err) {
        const code = pgCode(err);
        // Deadlock or serialisation failure: nothing was written, the same batch may succeed.
        if ((code === '40P01' || code === '40001') && attempt < MAX_TX_RETRIES) continue;
        if (code === '23505' && batch.length > 1) {
          for (const a of batch) await this.commit([a]);
          return;
        }
        for (const a of batch) a.reject(code === '23505' ? await this.conflict(a) : err);
        return;
      }
    }
  }

  /** One group-commit transaction; returns each append's outcome (undefined: committed). */
  private async transaction(batch: readonly QueuedAppend[]): Promise<(AobError | undefined)[]> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A connection that dies while checked out (the server restarted, say) emits 'error' on the
    // client as well as failing the query in progress, and the pool listens only to idle clients:
    // without this listener that event would be unhandled and end the process.
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
    try {
      // Most batches advance runs from where they expect them, or create runs that do not exist
      // yet: one guarded statement, one round trip. If a run was elsewhere, nothing was written
      // and the batch is planned again under its locks, which tells each append its own outcome.
      const optimistic = optimisticPlan(batch);
      if (optimistic) {
        const { rows } = await client.query<{ ok: boolean }>(
          sql.guardedWriteBatch([
            ...writeColumns(batch, optimistic.plan),
            optimistic.runIds,
            optimistic.lastSeqs,
            optimistic.newRunIds,
            ...createColumns(optimistic.plan),
          ]),
        );
        if (rows[0]?.ok === true) {
          this.counters.transactions++;
          this.counters.guarded++;
          this.counters.appends += batch.length;
          return optimistic.plan.outcomes;
        }
      }
      await client.query('BEGIN');
      try {
        const outcomes = await this.write(client, batch);
        await client.query('COMMIT');
        this.counters.transactions++;
        this.counters.appends += batch.length;
        return outcomes;
      } catch (err) {
        await client.query('ROLLBACK').catch((e: unknown) => {
          broken = e as Error; // the connection is unusable: the pool discards it
        });
        throw err;
      }
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  private async write(
    client: PoolClient,
    batch: readonly QueuedAppend[],
  ): Promise<(AobError | undefined)[]> {
    const runIds = [...new Set(batch.map((a) => a.runId))];
    const { rows } = await client.query<{ run_id: string; last_seq: string; status: string }>(
      sql.lockRuns([runIds]),
    );
    const locked = new Map<string, LockedRun>(
      rows.map((r) => [r.run_id, { lastSeq: Number(r.last_seq), status: r.status }]),
    );
    const plan = planBatch(batch, locked);

    const creating = createdRunIds(plan);
    if (creating.length > 0) {
      const created = await client.query<{ run_id: string }>(sql.createRuns(createColumns(plan)));
      if (created.rows.length < creating.length) {
        // Another writer created some of these runs first (and committed: the insert waited).
        const won = new Set(created.rows.map((r) => r.run_id));
        const lost = new Map<string, number>();
        for (const runId of creating) {
          if (won.has(runId)) continue;
          const last = await client.query<{ last_seq: string }>(sql.lastSeq([runId]));
          lost.set(runId, Number(last.rows[0]?.last_seq ?? 0));
        }
        loseRuns(batch, plan, lost);
      }
    }
    await client.query(sql.writeBatch(writeColumns(batch, plan)));
    return plan.outcomes;
  }

  private async conflict(a: QueuedAppend): Promise<AobError> {
    const last = await this.pool.query<{ last_seq: string }>(sql.lastSeq([a.runId])).then(
      (r) => Number(r.rows[0]?.last_seq ?? 0),
      () => -1, // unknown
    );
    return seqConflict(a.runId, a.expectedSeq, last);
  }
}

function pgCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
