// The cluster's store (ClusterStore): PostgreSQL through a pg.Pool, shared by any number of
// processes. Appends from many runs are group-committed (pg-group-commit.ts); each keeps its own
// seq check and its own outcome. Summaries move by the rules of run-log.ts, as in the other
// adapters. It is also the transactional outbox: a decision's events and the messages they imply
// commit in one transaction. It has no leases or inbox (local-topology ports).
import type { Pool, PoolConfig, QueryResult } from 'pg';
import { pgLibrary } from './client-libraries.js';
import type { AnyNewEvent, AnyRunEvent } from '@aob/core';
import type {
  DraftStore,
  ScheduleStore,
  ClusterStore,
  OutboxMessage,
  OutboxRecord,
  RunFilter,
  RunnerJobEntry,
  RunnerJobStore,
  RunnerLease,
  TimerRecord,
  NamespaceBudgetRecord,
  TokenRecord,
  RunSummary,
  WorkflowPatchRecord,
  WorkflowPatchStatus,
  WorkflowRecord,
} from './port.js';
import { storeClosed, workflowExists } from './errors.js';
import { prepareAppend, runKey, toJson } from './run-log.js';
import type { RunKeyKind } from './run-log.js';
import type { QueuedOutbox } from './pg-batch.js';
import { GroupCommit } from './pg-group-commit.js';
import type { GroupCommitStats } from './pg-group-commit.js';
import { migratePg } from './pg-schema.js';
import { claimDueTimers, countDueTimers, markTimersFired, scheduleTimers } from './pg-timers.js';
import { quietRuns } from './pg-stalls.js';
import { pgDrafts } from './pg-drafts.js';
import { pgSchedules } from './pg-schedules.js';
import {
  claimRunnerJob,
  enqueueRunnerJobs,
  finishRunnerJob,
  purgeRunnerJobs,
  releaseRunnerLease,
  renewRunnerLease,
  runnerLease,
} from './pg-runner-jobs.js';
import { sql } from './pg-statements.js';
import type { OutboxRow } from './pg-statements.js';
import { eventFromRow, patchFromRow, runFromRow, tokenFromRow, workflowFromRow } from './rows.js';
import type { EventRow, PatchRow, RunRow, TokenRow, WorkflowRow } from './rows.js';

export interface PgEventStoreOptions {
  /**
   * Default postgres://postgres@127.0.0.1:5432/postgres. The adapter reads no environment: the
   * composition root passes what it was configured with (DATABASE_URL).
   */
  connectionString?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Most appends committed in one transaction (default 1000); the rest go in the next one. */
  maxBatch?: number;
  /** Extra pg.Pool settings (timeouts, ssl, …). */
  pool?: Omit<PoolConfig, 'connectionString' | 'max'>;
}

export type { GroupCommitStats };

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export class PgEventStore implements ClusterStore {
  /** Connects, brings the schema up to date (safe with concurrent starters), and returns the store. */
  static async open(options: PgEventStoreOptions = {}): Promise<PgEventStore> {
    const pool = new (pgLibrary().Pool)({
      ...options.pool,
      connectionString: options.connectionString ?? DEFAULT_URL,
      max: options.poolSize ?? 10,
    });
    // An idle client's error (the server went away) must not crash the process; the next query
    // on that client fails and is reported to its caller.
    pool.on('error', () => undefined);
    try {
      await migratePg(pool);
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new PgEventStore(pool, options.maxBatch ?? 1000);
  }

  private readonly commits: GroupCommit;
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    maxBatch: number,
  ) {
    this.commits = new GroupCommit(pool, maxBatch);
  }

  /** Transactions and appends committed by this store's group commit so far. */
  get stats(): GroupCommitStats {
    return this.commits.stats;
  }

  append(
    runId: string,
    irHash: string,
    expectedSeq: number,
    events: readonly AnyNewEvent[],
  ): Promise<AnyRunEvent[]> {
    return this.enqueue(runId, irHash, expectedSeq, events, []);
  }

  appendWithOutbox(
    runId: string,
    irHash: string,
    expectedSeq: number,
    events: readonly AnyNewEvent[],
    outbox: readonly OutboxMessage[],
    claim?: { token: string; leaseMs: number },
  ): Promise<AnyRunEvent[]> {
    return this.enqueue(runId, irHash, expectedSeq, events, outbox, claim);
  }

  private enqueue(
    runId: string,
    irHash: string,
    expectedSeq: number,
    events: readonly AnyNewEvent[],
    outbox: readonly OutboxMessage[],
    claim?: { token: string; leaseMs: number },
  ): Promise<AnyRunEvent[]> {
    return new Promise((resolve, reject) => {
      if (this.closed) throw storeClosed();
      const prepared = prepareAppend(runId, irHash, expectedSeq, events);
      const boxed = outbox.map((m): QueuedOutbox => ({
        topic: m.topic,
        key: m.key,
        payload: toJson(runId, m.value ?? null),
        headers: toJson(runId, m.headers ?? {}),
        claimedBy: claim?.token ?? null,
        leaseMs: claim?.leaseMs ?? null,
      }));
      this.commits.submit({ ...prepared, outbox: boxed, resolve, reject });
    });
  }

  async read(runId: string, fromSeq = 1): Promise<AnyRunEvent[]> {
    const { rows } = await this.query<EventRow>(sql.readEvents([runId, fromSeq]));
    return rows.map((r) => eventFromRow(r, r.data));
  }

  async getRun(runId: string): Promise<RunSummary | undefined> {
    const { rows } = await this.query<RunRow>(sql.getRun([runId]));
    return rows[0] === undefined ? undefined : runFromRow(rows[0]);
  }

  async findRun(kind: RunKeyKind, id: string): Promise<string | undefined> {
    const { rows } = await this.query<{ run_id: string }>(sql.findRun([runKey(kind, id)]));
    return rows[0]?.run_id;
  }

  async listRuns(filter: RunFilter = {}): Promise<RunSummary[]> {
    const statuses = filter.status ?? [];
    const params = [statuses, filter.limit ?? null, filter.namespace ?? null, filter.offset ?? 0];
    const { rows } = await this.query<RunRow>(
      statuses.length > 0 ? sql.listRunsByStatus(params) : sql.listRuns(params),
    );
    return rows.map(runFromRow);
  }

  async putWorkflow(record: WorkflowRecord): Promise<void> {
    const res = await this.query(
      sql.putWorkflow([record.name, record.version, record.irHash, record.registeredAt]),
    );
    // No row inserted or updated: the version is registered with another graph.
    if (res.rowCount === 0) throw workflowExists(record.name, record.version, record.irHash);
  }

  async getWorkflow(name: string, version?: string): Promise<WorkflowRecord | undefined> {
    const { rows } = await this.query<WorkflowRow>(
      version === undefined ? sql.latestWorkflow([name]) : sql.getWorkflow([name, version]),
    );
    return rows[0] === undefined ? undefined : workflowFromRow(rows[0]);
  }

  async listWorkflows(): Promise<WorkflowRecord[]> {
    const { rows } = await this.query<WorkflowRow>(sql.listWorkflows([]));
    return rows.map(workflowFromRow);
  }

  async retireWorkflow(name: string, version: string, at: number): Promise<boolean> {
    const res = await this.query(sql.retireWorkflow([name, version, at]));
    return res.rowCount === 1;
  }

  async putWorkflowPatch(
    record: WorkflowPatchRecord,
    expected: WorkflowPatchStatus | null,
  ): Promise<boolean> {
    const json = JSON.stringify(record);
    const { patchId, workflow, status } = record;
    const res = await this.query(
      expected === null
        ? sql.insertPatch([patchId, workflow, status, json])
        : sql.updatePatch([patchId, workflow, status, json, expected]),
    );
    return res.rowCount === 1;
  }

  async getWorkflowPatch(patchId: string): Promise<WorkflowPatchRecord | undefined> {
    const { rows } = await this.query<PatchRow>(sql.getPatch([patchId]));
    return rows[0] === undefined ? undefined : patchFromRow(rows[0].record);
  }

  async listWorkflowPatches(workflow?: string): Promise<WorkflowPatchRecord[]> {
    const { rows } = await this.query<PatchRow>(sql.listPatches([workflow ?? null]));
    return rows.map((r) => patchFromRow(r.record));
  }

  async claimOutbox(
    limit: number,
    opts: { owner?: string; leaseMs?: number } = {},
  ): Promise<OutboxRecord[]> {
    const { rows } = await this.query<OutboxRow>(
      sql.claimOutbox([limit, opts.owner ?? 'relay', opts.leaseMs ?? 30_000]),
    );
    return rows
      .map((r): OutboxRecord => ({
        id: Number(r.id),
        topic: r.topic,
        key: r.key,
        value: r.payload,
        headers: r.headers,
        createdAt: Number(r.created_at),
      }))
      .sort((a, b) => a.id - b.id);
  }

  async markSentByClaims(tokens: readonly string[]): Promise<void> {
    if (tokens.length === 0) return;
    await this.query(sql.markSentByClaims([tokens]));
  }

  async renewClaims(tokens: readonly string[], leaseMs: number): Promise<void> {
    if (tokens.length === 0) return;
    await this.query(sql.renewClaims([tokens, leaseMs]));
  }

  async markSent(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.query(sql.markSent([ids]));
  }

  async countUnsentOutbox(): Promise<number> {
    const { rows } = await this.query<{ n: string }>(sql.countUnsentOutbox([]));
    return Number(rows[0]?.n ?? 0);
  }

  scheduleTimers(timers: readonly TimerRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(storeClosed());
    return scheduleTimers(this.pool, timers);
  }

  claimDueTimers(
    now: number,
    limit: number,
    owner: string,
    leaseMs?: number,
  ): Promise<TimerRecord[]> {
    if (this.closed) return Promise.reject(storeClosed());
    return claimDueTimers(this.pool, now, limit, owner, leaseMs);
  }

  markTimersFired(timerIds: readonly string[], firedAt: number): Promise<void> {
    if (this.closed) return Promise.reject(storeClosed());
    return markTimersFired(this.pool, timerIds, firedAt);
  }

  countDueTimers(now: number): Promise<number> {
    if (this.closed) return Promise.reject(storeClosed());
    return countDueTimers(this.pool, now);
  }

  quietRuns(updatedBefore: number, limit: number): Promise<string[]> {
    if (this.closed) return Promise.reject(storeClosed());
    return quietRuns(this.pool, updatedBefore, limit);
  }

  enqueueRunnerJobs(
    jobs: readonly RunnerJobEntry[],
    now: number,
  ): Promise<{ key: string; outcome: unknown }[]> {
    if (this.closed) return Promise.reject(storeClosed());
    return enqueueRunnerJobs(this.pool, jobs, now);
  }

  claimRunnerJob(opts: Parameters<RunnerJobStore['claimRunnerJob']>[0]) {
    if (this.closed) return Promise.reject(storeClosed());
    return claimRunnerJob(this.pool, opts);
  }

  runnerLease(leaseId: string): Promise<RunnerLease | undefined> {
    if (this.closed) return Promise.reject(storeClosed());
    return runnerLease(this.pool, leaseId);
  }

  renewRunnerLease(leaseId: string, now: number, leaseMs: number): Promise<number | undefined> {
    if (this.closed) return Promise.reject(storeClosed());
    return renewRunnerLease(this.pool, leaseId, now, leaseMs);
  }

  finishRunnerJob(leaseId: string, outcome: unknown, now: number): Promise<boolean> {
    if (this.closed) return Promise.reject(storeClosed());
    return finishRunnerJob(this.pool, leaseId, outcome, now);
  }

  releaseRunnerLease(leaseId: string): Promise<boolean> {
    if (this.closed) return Promise.reject(storeClosed());
    return releaseRunnerLease(this.pool, leaseId);
  }

  purgeRunnerJobs(finishedBefore: number): Promise<number> {
    if (this.closed) return Promise.reject(storeClosed());
    return purgeRunnerJobs(this.pool, finishedBefore);
  }

  // ---- drafts (pg-drafts.ts) ----
  private draftStore: DraftStore | undefined;
  private get drafts(): DraftStore {
    if (this.closed) throw storeClosed();
    return (this.draftStore ??= pgDrafts(this.pool));
  }
  createDraft: DraftStore['createDraft'] = async (record) => this.drafts.createDraft(record);
  getDraft: DraftStore['getDraft'] = async (draftId) => this.drafts.getDraft(draftId);
  listDrafts: DraftStore['listDrafts'] = async (namespace, page) =>
    this.drafts.listDrafts(namespace, page);
  appendDraftChange: DraftStore['appendDraftChange'] = async (...args) =>
    this.drafts.appendDraftChange(...args);
  draftChanges: DraftStore['draftChanges'] = async (...args) => this.drafts.draftChanges(...args);
  setDraftFocus: DraftStore['setDraftFocus'] = async (...args) =>
    this.drafts.setDraftFocus(...args);
  addDraftCommit: DraftStore['addDraftCommit'] = async (...args) =>
    this.drafts.addDraftCommit(...args);
  deleteDraft: DraftStore['deleteDraft'] = async (draftId) => this.drafts.deleteDraft(draftId);

  // ---- schedules (pg-schedules.ts) ----
  private scheduleStore: ScheduleStore | undefined;
  private get schedules(): ScheduleStore {
    if (this.closed) throw storeClosed();
    return (this.scheduleStore ??= pgSchedules(this.pool));
  }
  createSchedule: ScheduleStore['createSchedule'] = async (r) => this.schedules.createSchedule(r);
  getSchedule: ScheduleStore['getSchedule'] = async (id) => this.schedules.getSchedule(id);
  listSchedules: ScheduleStore['listSchedules'] = async (namespace, page) =>
    this.schedules.listSchedules(namespace, page);
  updateSchedule: ScheduleStore['updateSchedule'] = async (r, expected) =>
    this.schedules.updateSchedule(r, expected);
  deleteSchedule: ScheduleStore['deleteSchedule'] = async (id) => this.schedules.deleteSchedule(id);
  claimDueSchedules: ScheduleStore['claimDueSchedules'] = async (...args) =>
    this.schedules.claimDueSchedules(...args);

  async putNamespaceBudget(record: NamespaceBudgetRecord): Promise<void> {
    await this.query(sql.putNamespaceBudget([record.namespace, JSON.stringify(record)]));
  }

  async getNamespaceBudget(namespace: string): Promise<NamespaceBudgetRecord | undefined> {
    const { rows } = await this.query<{ record: NamespaceBudgetRecord }>(
      sql.getNamespaceBudget([namespace]),
    );
    return rows[0]?.record;
  }

  async deleteNamespaceBudget(namespace: string): Promise<boolean> {
    const res = await this.query(sql.deleteNamespaceBudget([namespace]));
    return res.rowCount === 1;
  }

  async putToken(t: TokenRecord): Promise<boolean> {
    const res = await this.query(
      sql.putToken([
        t.tokenId,
        t.hash,
        t.subject,
        t.role,
        t.namespace,
        JSON.stringify(t.groups),
        t.createdAt,
        t.createdBy,
        t.runId ?? null,
        t.expiresAt ?? null,
      ]),
    );
    return res.rowCount === 1;
  }

  async findToken(hash: string): Promise<TokenRecord | undefined> {
    const { rows } = await this.query<TokenRow>(sql.findToken([hash]));
    return rows[0] === undefined ? undefined : tokenFromRow(rows[0]);
  }

  async listTokens(namespace?: string): Promise<TokenRecord[]> {
    const { rows } = await this.query<TokenRow>(sql.listTokens([namespace ?? null]));
    return rows.map(tokenFromRow);
  }

  async revokeToken(tokenId: string, at: number): Promise<boolean> {
    const res = await this.query(sql.revokeToken([tokenId, at]));
    return res.rowCount === 1;
  }

  async deleteExpiredTokens(before: number): Promise<number> {
    const res = await this.query(sql.deleteExpiredTokens([before]));
    return res.rowCount ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.commits.flush();
    await this.pool.end();
  }

  private query<R extends object = object>(config: {
    name: string;
    text: string;
    values: unknown[];
  }): Promise<QueryResult<R>> {
    if (this.closed) return Promise.reject(storeClosed());
    return this.pool.query<R>(config);
  }
}
