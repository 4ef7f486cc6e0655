// The local-mode EventStore: one SQLite file (`<home>/aob.db`) in WAL mode, shared safely by
// several `aob` processes. SQLite's file locks serialise writers across processes; every
// multi-statement write runs in BEGIN IMMEDIATE so a transaction takes the write lock before it
// reads, and waits (busy_timeout) rather than failing on a lock held by another process.
//
// Group commit: appends issued in the same turn of the event loop are queued and committed in ONE
// transaction on setImmediate. Each append keeps its own check (a single guarded UPDATE of its
// run's last seq), its own outcome and its own promise; a conflicting append changes nothing and
// does not disturb the others in the batch.
//
// Durability: synchronous=NORMAL by default. In WAL mode that survives a crash or kill -9 of any
// process (a commit is in the WAL before append resolves); only an OS crash or power loss may
// roll back the last commits, never corrupt the file. That is the contract of local mode; pass
// `synchronous: 'FULL'` to fsync every (group) commit.
//
// better-sqlite3 is synchronous: while another process holds the write lock, a commit waits
// (up to busy_timeout) on this thread. Transactions are short, so the wait is too.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Database, Statement } from 'better-sqlite3';
import { AobError } from '@aob/core';
import type { AnyNewEvent, AnyRunEvent } from '@aob/core';
import type {
  DraftStore,
  ScheduleStore,
  EventStore,
  InboxCommand,
  Lease,
  RunFilter,
  NamespaceBudgetRecord,
  TokenRecord,
  RunSummary,
  WorkflowPatchRecord,
  WorkflowPatchStatus,
  WorkflowRecord,
} from './port.js';
import { betterSqlite3, betterSqlite3Addon } from './client-libraries.js';
import { seqConflict, storeClosed, StoreErrorCode, workflowExists } from './errors.js';
import { prepareAppend, runKey } from './run-log.js';
import type { PreparedAppend, RunKeyKind } from './run-log.js';
import { migrate } from './sqlite-schema.js';
import { sqliteDrafts } from './sqlite-drafts.js';
import { sqliteSchedules } from './sqlite-schedules.js';
import { listRunsSql, prepareStatements } from './sqlite-statements.js';
import type { Statements } from './sqlite-statements.js';
import {
  commandFromRow,
  eventFromRow,
  leaseFromRow,
  patchFromRow,
  runFromRow,
  tokenFromRow,
  workflowFromRow,
} from './rows.js';
import type { RunRow, TokenRow } from './rows.js';

export interface SqliteEventStoreOptions {
  /** The database file; created with its schema if missing. */
  path: string;
  synchronous?: 'NORMAL' | 'FULL';
  /** How long a write waits for another process's lock before failing with STORE_BUSY. */
  busyTimeoutMs?: number;
}

/** An append waiting for the next group commit. */
interface QueuedAppend extends PreparedAppend {
  resolve: (events: AnyRunEvent[]) => void;
  reject: (err: unknown) => void;
}

/** A one-statement write (a lease taken or given back) waiting for the next group commit. */
interface QueuedWrite {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export class SqliteEventStore implements EventStore {
  /** Opens (creating if needed) the store of an `.aob/` home directory: `<home>/aob.db`. */
  static open(home: string, options: Omit<SqliteEventStoreOptions, 'path'> = {}): SqliteEventStore {
    mkdirSync(home, { recursive: true });
    return new SqliteEventStore({ ...options, path: join(home, 'aob.db') });
  }

  private readonly db: Database;
  private readonly sql: Statements;
  private readonly listStatements = new Map<string, Statement<unknown[], RunRow>>();
  /** The statements of the less frequent methods, prepared on first use and kept. */
  private readonly prepared = new Map<string, Statement>();
  private readonly commitBatch: (batch: readonly QueuedAppend[]) => (AobError | undefined)[];
  private readonly commitWriteBatch: (writes: readonly QueuedWrite[]) => unknown[];
  private queue: QueuedAppend[] = [];
  private writes: QueuedWrite[] = [];
  private flushScheduled = false;
  private closed = false;

  constructor(options: SqliteEventStoreOptions) {
    const Sqlite = betterSqlite3();
    this.db = new Sqlite(options.path, { nativeBinding: betterSqlite3Addon() });
    // busy_timeout first: the pragmas and the migration below may meet another process's lock.
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    // A group commit of many runs dirties many index pages: keep them cached (32 MB) and let the
    // WAL grow to ~16 MB between checkpoints, so a page rewritten by successive commits is copied
    // back to the database once.
    this.db.pragma('cache_size = -32768');
    this.db.pragma('wal_autocheckpoint = 4000');
    this.db.pragma('journal_size_limit = 67108864');
    migrate(this.db, Date.now());
    this.sql = prepareStatements(this.db);
    const tx = this.db.transaction((batch: readonly QueuedAppend[]) =>
      batch.map((a) => this.write(a)),
    );
    this.commitBatch = (batch) => tx.immediate(batch);
    const writeTx = this.db.transaction((writes: readonly QueuedWrite[]) =>
      writes.map((w) => w.run()),
    );
    this.commitWriteBatch = (writes) => writeTx.immediate(writes);
  }

  append(
    runId: string,
    irHash: string,
    expectedSeq: number,
    events: readonly AnyNewEvent[],
  ): Promise<AnyRunEvent[]> {
    return new Promise((resolve, reject) => {
      if (this.closed) throw storeClosed();
      this.queue.push({ ...prepareAppend(runId, irHash, expectedSeq, events), resolve, reject });
      this.scheduleFlush();
    });
  }

  /**
   * Runs a one-statement write at the next group commit, with the others of this turn in one
   * transaction: a run's lease taken at its start and given back at its end were a commit each
   * (an fsync each with synchronous=FULL), as many as the runs' own appends.
   */
  private batched<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closed) throw storeClosed();
      this.writes.push({ run, resolve: resolve as (value: unknown) => void, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const writes = this.writes;
    if (writes.length > 0) {
      this.writes = [];
      this.commitWrites(writes);
    }
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.commit(batch);
  };

  private commitWrites(writes: readonly QueuedWrite[]): void {
    let results: unknown[];
    try {
      results = this.commitWriteBatch(writes);
    } catch (err) {
      // Rolled back: each write alone, so one failure (a lock timeout aside) fails only itself.
      if (writes.length > 1 && !isBusy(err)) {
        for (const w of writes) this.commitWrites([w]);
        return;
      }
      for (const w of writes) w.reject(err);
      return;
    }
    writes.forEach((w, i) => w.resolve(results[i]));
  }

  private commit(batch: readonly QueuedAppend[]): void {
    let outcomes: (AobError | undefined)[];
    try {
      outcomes = this.commitBatch(batch);
    } catch (err) {
      // The transaction rolled back. A lock timeout would recur for each item, so it fails the
      // whole batch; any other error (say, an events primary-key hit) is isolated by retrying
      // each append in its own transaction.
      if (batch.length > 1 && !isBusy(err)) {
        for (const a of batch) this.commit([a]);
        return;
      }
      for (const a of batch) a.reject(this.toStoreError(err, a));
      return;
    }
    batch.forEach((a, i) => {
      const failure = outcomes[i];
      if (failure === undefined) a.resolve(a.envelopes);
      else a.reject(failure);
    });
  }

  /** Writes one append inside the batch transaction; returns its conflict instead of throwing. */
  private write(a: QueuedAppend): AobError | undefined {
    const { runId, irHash, expectedSeq, events } = a;
    const n = events.length;
    if (n === 0) {
      const last = this.lastSeq(runId);
      return last === expectedSeq ? undefined : seqConflict(runId, expectedSeq, last);
    }
    if (a.startError !== undefined) {
      const last = this.lastSeq(runId);
      return last === 0 ? a.startError : seqConflict(runId, expectedSeq, last);
    }
    const lastSeq = expectedSeq + n;
    const updatedAt = (events[n - 1] as AnyNewEvent).at;
    // The guard comes first, so a conflicting append writes nothing at all.
    const moved =
      a.start !== undefined
        ? this.sql.createRun.run(
            runId,
            a.start.workflow,
            irHash,
            a.status ?? 'running',
            a.start.startedAt,
            updatedAt,
            lastSeq,
            a.start.parentRunId ?? null,
            a.start.namespace,
          ).changes
        : this.sql.advanceRun.run(lastSeq, updatedAt, irHash, runId, expectedSeq).changes;
    if (moved !== 1) return seqConflict(runId, expectedSeq, this.lastSeq(runId));
    if (a.start === undefined && a.status !== undefined) {
      this.sql.changeRunStatus.run(a.status, runId, a.status);
    }
    for (let i = 0; i < n; i++) {
      const e = events[i] as AnyNewEvent;
      this.sql.insertEvent.run(
        runId,
        expectedSeq + i + 1,
        e.type,
        e.at,
        e.irHash ?? irHash,
        a.data[i] as string,
        e.actor ?? null,
        e.traceparent ?? null,
      );
    }
    for (const key of a.keys) this.sql.insertRunKey.run(key, runId);
    return undefined;
  }

  private toStoreError(err: unknown, a: QueuedAppend): unknown {
    const code = sqliteCode(err);
    // Another writer's events at our seqs: the same situation as a failed guard.
    if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      return seqConflict(a.runId, a.expectedSeq, this.lastSeq(a.runId));
    }
    if (isBusy(err)) {
      return new AobError(
        StoreErrorCode.StoreBusy,
        `database is locked: ${(err as Error).message}`,
        {
          retryable: true,
        },
      );
    }
    return err;
  }

  private lastSeq(runId: string): number {
    return this.sql.lastSeq.get(runId)?.last_seq ?? 0;
  }

  async read(runId: string, fromSeq = 1): Promise<AnyRunEvent[]> {
    return this.sql.readEvents.all(runId, fromSeq).map((r) => eventFromRow(r, JSON.parse(r.data)));
  }

  async getRun(runId: string): Promise<RunSummary | undefined> {
    const row = this.sql.getRun.get(runId);
    return row === undefined ? undefined : runFromRow(row);
  }

  async findRun(kind: RunKeyKind, id: string): Promise<string | undefined> {
    return this.sql.findRun.get(runKey(kind, id))?.run_id;
  }

  async listRuns(filter: RunFilter = {}): Promise<RunSummary[]> {
    const limit = filter.limit ?? -1; // LIMIT -1: no limit
    // An absent or empty status list means no status filter.
    const statuses = filter.status ?? [];
    const byNamespace = filter.namespace !== undefined;
    const shape = `${statuses.length}:${byNamespace}`;
    let stmt = this.listStatements.get(shape);
    if (stmt === undefined) {
      stmt = this.db.prepare<unknown[], RunRow>(listRunsSql(statuses.length, byNamespace));
      this.listStatements.set(shape, stmt);
    }
    const params: unknown[] = [...statuses, ...(byNamespace ? [filter.namespace] : [])];
    return stmt.all(...params, limit, filter.offset ?? 0).map(runFromRow);
  }

  async putWorkflow(record: WorkflowRecord): Promise<void> {
    const { changes } = this.sql.putWorkflow.run(
      record.name,
      record.version,
      record.irHash,
      record.registeredAt,
    );
    // No row inserted or updated: the version is registered with another graph.
    if (changes === 0) {
      const held = this.sql.getWorkflow.get(record.name, record.version);
      throw workflowExists(record.name, record.version, held?.ir_hash ?? '');
    }
  }

  async getWorkflow(name: string, version?: string): Promise<WorkflowRecord | undefined> {
    const row =
      version === undefined
        ? this.sql.latestWorkflow.get(name)
        : this.sql.getWorkflow.get(name, version);
    return row === undefined ? undefined : workflowFromRow(row);
  }

  async listWorkflows(): Promise<WorkflowRecord[]> {
    return this.sql.listWorkflows.all().map(workflowFromRow);
  }

  async retireWorkflow(name: string, version: string, at: number): Promise<boolean> {
    return this.sql.retireWorkflow.run(at, name, version).changes === 1;
  }

  async putWorkflowPatch(
    record: WorkflowPatchRecord,
    expected: WorkflowPatchStatus | null,
  ): Promise<boolean> {
    const json = JSON.stringify(record);
    const { patchId, workflow, status } = record;
    const changes =
      expected === null
        ? this.sql.insertPatch.run(patchId, workflow, status, json).changes
        : this.sql.updatePatch.run(workflow, status, json, patchId, expected).changes;
    return changes === 1;
  }

  async getWorkflowPatch(patchId: string): Promise<WorkflowPatchRecord | undefined> {
    const row = this.sql.getPatch.get(patchId);
    return row === undefined ? undefined : patchFromRow(JSON.parse(row.record));
  }

  async listWorkflowPatches(workflow?: string): Promise<WorkflowPatchRecord[]> {
    const rows =
      workflow === undefined ? this.sql.listPatches.all() : this.sql.listPatchesOf.all(workflow);
    return rows.map((r) => patchFromRow(JSON.parse(r.record)));
  }

  acquireLease(runId: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    return this.batched(
      () => this.sql.acquireLease.run(runId, owner, now + ttlMs, now).changes === 1,
    );
  }

  async takeOverLease(
    runId: string,
    from: string,
    owner: string,
    ttlMs: number,
    now: number,
  ): Promise<boolean> {
    return this.sql.takeOverLease.run(owner, now + ttlMs, runId, from).changes === 1;
  }

  async renewLeases(owner: string, ttlMs: number, now: number): Promise<void> {
    this.sql.renewLeases.run(now + ttlMs, owner);
  }

  async releaseLease(runId: string, owner: string): Promise<void> {
    await this.batched(() => this.sql.releaseLease.run(runId, owner));
  }

  async getLease(runId: string): Promise<Lease | undefined> {
    const row = this.sql.getLease.get(runId);
    return row === undefined ? undefined : leaseFromRow(row);
  }

  async enqueueCommand(runId: string, type: string, payload: unknown, at: number): Promise<number> {
    const json = JSON.stringify(payload ?? null);
    return Number(this.sql.enqueue.run(runId, type, json, at).lastInsertRowid);
  }

  async pendingCommands(runId?: string): Promise<InboxCommand[]> {
    const rows = runId === undefined ? this.sql.pendingAll.all() : this.sql.pending.all(runId);
    return rows.map((r) => commandFromRow(r, JSON.parse(r.payload)));
  }

  async completeCommands(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    this.db
      .transaction(() => {
        for (const id of ids) this.sql.complete.run(id);
      })
      .immediate();
  }

  // ---- drafts (sqlite-drafts.ts; its statements prepared on first use) ----
  private draftStore: DraftStore | undefined;
  private get drafts(): DraftStore {
    return (this.draftStore ??= sqliteDrafts(this.db));
  }
  createDraft: DraftStore['createDraft'] = (record) => this.drafts.createDraft(record);
  getDraft: DraftStore['getDraft'] = (draftId) => this.drafts.getDraft(draftId);
  listDrafts: DraftStore['listDrafts'] = (namespace, page) =>
    this.drafts.listDrafts(namespace, page);
  appendDraftChange: DraftStore['appendDraftChange'] = (...args) =>
    this.drafts.appendDraftChange(...args);
  draftChanges: DraftStore['draftChanges'] = (...args) => this.drafts.draftChanges(...args);
  setDraftFocus: DraftStore['setDraftFocus'] = (...args) => this.drafts.setDraftFocus(...args);
  addDraftCommit: DraftStore['addDraftCommit'] = (...args) => this.drafts.addDraftCommit(...args);
  deleteDraft: DraftStore['deleteDraft'] = (draftId) => this.drafts.deleteDraft(draftId);

  // ---- schedules (sqlite-schedules.ts; its statements prepared on first use) ----
  private scheduleStore: ScheduleStore | undefined;
  private get schedules(): ScheduleStore {
    return (this.scheduleStore ??= sqliteSchedules(this.db));
  }
  createSchedule: ScheduleStore['createSchedule'] = (r) => this.schedules.createSchedule(r);
  getSchedule: ScheduleStore['getSchedule'] = (id) => this.schedules.getSchedule(id);
  listSchedules: ScheduleStore['listSchedules'] = (namespace, page) =>
    this.schedules.listSchedules(namespace, page);
  updateSchedule: ScheduleStore['updateSchedule'] = (r, expected) =>
    this.schedules.updateSchedule(r, expected);
  deleteSchedule: ScheduleStore['deleteSchedule'] = (id) => this.schedules.deleteSchedule(id);
  claimDueSchedules: ScheduleStore['claimDueSchedules'] = (...args) =>
    this.schedules.claimDueSchedules(...args);

  /** Commits what is queued, then closes the connection. */
  async putNamespaceBudget(record: NamespaceBudgetRecord): Promise<void> {
    this.statement(
      `INSERT INTO namespace_budgets (namespace, record) VALUES (?, ?)
         ON CONFLICT (namespace) DO UPDATE SET record = excluded.record`,
    ).run(record.namespace, JSON.stringify(record));
  }

  async getNamespaceBudget(namespace: string): Promise<NamespaceBudgetRecord | undefined> {
    const row = this.statement<[string], { record: string }>(
      'SELECT record FROM namespace_budgets WHERE namespace = ?',
    ).get(namespace);
    return row === undefined ? undefined : (JSON.parse(row.record) as NamespaceBudgetRecord);
  }

  async deleteNamespaceBudget(namespace: string): Promise<boolean> {
    return (
      this.statement('DELETE FROM namespace_budgets WHERE namespace = ?').run(namespace).changes ===
      1
    );
  }

  async putToken(t: TokenRecord): Promise<boolean> {
    const res = this.statement(
      `INSERT INTO api_tokens (token_id, hash, subject, role, namespace, groups, created_at, created_by, run_id, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ).run(
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
    );
    return res.changes === 1;
  }

  async findToken(hash: string): Promise<TokenRecord | undefined> {
    const row = this.statement<[string], TokenRow>('SELECT * FROM api_tokens WHERE hash = ?').get(
      hash,
    );
    return row === undefined ? undefined : tokenFromRow(row);
  }

  async listTokens(namespace?: string): Promise<TokenRecord[]> {
    const rows =
      namespace === undefined
        ? this.statement<[], TokenRow>('SELECT * FROM api_tokens ORDER BY rowid').all()
        : this.statement<[string], TokenRow>(
            'SELECT * FROM api_tokens WHERE namespace = ? ORDER BY rowid',
          ).all(namespace);
    return rows.map(tokenFromRow);
  }

  async revokeToken(tokenId: string, at: number): Promise<boolean> {
    const res = this.statement(
      'UPDATE api_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL',
    ).run(at, tokenId);
    return res.changes === 1;
  }

  async deleteExpiredTokens(before: number): Promise<number> {
    return this.statement('DELETE FROM api_tokens WHERE expires_at < ?').run(before).changes;
  }

  /** `sql` prepared once per connection: preparing costs more than running a small statement. */
  private statement<P extends unknown[] = unknown[], R = unknown>(sql: string): Statement<P, R> {
    let stmt = this.prepared.get(sql);
    if (!stmt) this.prepared.set(sql, (stmt = this.db.prepare(sql)));
    return stmt as unknown as Statement<P, R>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flush();
    this.db.close();
  }
}

function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const isBusy = (err: unknown): boolean => sqliteCode(err)?.startsWith('SQLITE_BUSY') === true;
