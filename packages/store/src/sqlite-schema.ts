// Versioned schema of the local (SQLite) store. Migrations are append-only: never edit a shipped
// one, add the next number. `migrate` applies the missing ones inside one BEGIN IMMEDIATE
// transaction, so several processes opening the same file at once apply each exactly once.
//
// JSON columns are declared TEXT on purpose: a column declared `JSON` would get NUMERIC affinity
// and SQLite would turn the text '42' into the integer 42.
import { AobError } from '@aob/core';
import type { Database } from 'better-sqlite3';
import { StoreErrorCode } from './errors.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, events, workflows, leases, inbox',
    sql: `
      CREATE TABLE runs (
        run_id        TEXT PRIMARY KEY,
        workflow      TEXT NOT NULL,
        ir_hash       TEXT NOT NULL,
        status        TEXT NOT NULL,
        started_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        last_seq      INTEGER NOT NULL,
        parent_run_id TEXT
      );
      CREATE INDEX runs_by_start ON runs (started_at);
      CREATE INDEX runs_by_status ON runs (status, started_at);

      -- The primary key is the optimistic-concurrency guard: one writer per (run, seq).
      -- A rowid table (not WITHOUT ROWID) on purpose: rows are appended at the end of the table
      -- and only the small (run_id, seq) index is written out of order, which halves the pages
      -- a group commit of many runs dirties.
      CREATE TABLE events (
        run_id      TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        type        TEXT NOT NULL,
        at          INTEGER NOT NULL,
        ir_hash     TEXT NOT NULL,
        data        TEXT NOT NULL,
        actor       TEXT,
        traceparent TEXT,
        PRIMARY KEY (run_id, seq)
      );

      CREATE TABLE workflows (
        name          TEXT NOT NULL,
        version       TEXT NOT NULL,
        ir_hash       TEXT NOT NULL,
        registered_at INTEGER NOT NULL,
        PRIMARY KEY (name, version)
      );

      CREATE TABLE leases (
        run_id     TEXT PRIMARY KEY,
        owner      TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );

      CREATE TABLE inbox (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id  TEXT NOT NULL,
        type    TEXT NOT NULL,
        payload TEXT NOT NULL,
        at      INTEGER NOT NULL,
        done    INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX inbox_pending ON inbox (run_id, id) WHERE done = 0;
    `,
  },
  {
    version: 2,
    name: 'retired workflow versions, workflow-scope patches',
    sql: `
      ALTER TABLE workflows ADD COLUMN retired_at INTEGER;

      -- Workflow-scope patches (ARCHITECTURE §4): the indexed fields as columns, the whole record as
      -- JSON. ord is the proposal (insertion) order, set by the insert itself: explicit, because
      -- VACUUM may renumber the rowids of a table without an INTEGER PRIMARY KEY.
      CREATE TABLE patches (
        patch_id TEXT PRIMARY KEY,
        workflow TEXT NOT NULL,
        status   TEXT NOT NULL CHECK (status IN ('held', 'applied', 'rejected', 'reverted')),
        ord      INTEGER NOT NULL UNIQUE,
        record   TEXT NOT NULL
      );
      CREATE INDEX patches_by_workflow ON patches (workflow, ord);
    `,
  },
  {
    version: 3,
    name: 'run namespaces, API tokens',
    sql: `
      -- Every run belongs to one namespace (ARCHITECTURE §9); runs from before have the default one.
      ALTER TABLE runs ADD COLUMN namespace TEXT NOT NULL DEFAULT 'default';
      CREATE INDEX runs_by_namespace ON runs (namespace, started_at);

      -- API bearer tokens, stored as the sha256 of the token (the token itself is shown once).
      CREATE TABLE api_tokens (
        token_id   TEXT PRIMARY KEY,
        hash       TEXT NOT NULL UNIQUE,
        subject    TEXT NOT NULL,
        role       TEXT NOT NULL,
        namespace  TEXT NOT NULL,
        groups     TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at INTEGER
      );
    `,
  },
  {
    version: 4,
    name: 'run keys: patch and ticket ids to their run',
    sql: `
      -- Written with the events that introduce the id (run-log.ts runKeysOf), so finding the run
      -- of a patch or a ticket reads one row instead of folding every log.
      CREATE TABLE run_keys (
        key    TEXT PRIMARY KEY,
        run_id TEXT NOT NULL
      ) WITHOUT ROWID;
      INSERT OR IGNORE INTO run_keys (key, run_id)
        SELECT 'patch:' || json_extract(data, '$.patchId'), run_id FROM events
        WHERE type IN ('PatchProposed', 'PatchRejected');
      INSERT OR IGNORE INTO run_keys (key, run_id)
        SELECT 'ticket:' || json_extract(data, '$.ticketId'), run_id FROM events
        WHERE type = 'ApprovalRequested';
    `,
  },
  {
    version: 5,
    name: 'job tokens: a run scope and an expiry',
    sql: `
      -- A job token (ARCHITECTURE §9) speaks for one run only and stops working at expires_at.
      ALTER TABLE api_tokens ADD COLUMN run_id TEXT;
      ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
      CREATE INDEX api_tokens_by_expiry ON api_tokens (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
  {
    version: 6,
    name: 'namespace budgets',
    sql: `
      -- A namespace's budget, set by an admin (the whole record as JSON): runs started in the
      -- namespace record it on RunStarted, so changing it never changes a run's history.
      CREATE TABLE namespace_budgets (
        namespace TEXT PRIMARY KEY,
        record    TEXT NOT NULL
      );
    `,
  },
  {
    version: 7,
    name: 'drafts',
    sql: `
      -- Workflow definitions being edited (DraftStore): the definition as it is now, its revision
      -- (compare-and-set on every change), and the rest of the record as JSON; the change log is
      -- append-only, one row per change (seq = the revision it made), deleted with its draft.
      CREATE TABLE drafts (
        draft_id    TEXT PRIMARY KEY,
        namespace   TEXT NOT NULL,
        revision    INTEGER NOT NULL,
        definition  TEXT NOT NULL,
        meta        TEXT NOT NULL,
        focus       TEXT,
        commits     TEXT NOT NULL,
        last_change TEXT,
        updated_at  INTEGER NOT NULL
      );
      CREATE INDEX drafts_by_namespace ON drafts (namespace);
      CREATE TABLE draft_changes (
        draft_id TEXT NOT NULL,
        seq      INTEGER NOT NULL,
        record   TEXT NOT NULL,
        PRIMARY KEY (draft_id, seq)
      );
    `,
  },
  {
    version: 8,
    name: 'schedules',
    sql: `
      -- Schedules (ScheduleStore; sqlite-schedules.ts): the record as JSON, its revision
      -- (compare-and-set on every write), when a scheduler must look at it next (due_at, NULL
      -- while paused or over; schedule-due.ts) and which scheduler holds it until when.
      CREATE TABLE schedules (
        schedule_id TEXT PRIMARY KEY,
        namespace   TEXT NOT NULL,
        revision    INTEGER NOT NULL,
        due_at      INTEGER,
        claim_owner TEXT,
        claim_until INTEGER,
        record      TEXT NOT NULL
      );
      CREATE INDEX schedules_by_namespace ON schedules (namespace);
      CREATE INDEX schedules_due ON schedules (due_at) WHERE due_at IS NOT NULL;
    `,
  },
];

/** Brings the schema up to the latest version; returns the versions it applied. */
export function migrate(db: Database, now: number): number[] {
  const applied: number[] = [];
  const run = db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    )`);
    const row = db
      .prepare<[], { v: number }>('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations')
      .get();
    const current = row?.v ?? 0;
    const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
    if (current > latest) {
      throw new AobError(
        StoreErrorCode.SchemaTooNew,
        `database schema is at version ${current}, this aob knows up to ${latest}`,
      );
    }
    const record = db.prepare(
      'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
    );
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, now);
      applied.push(m.version);
    }
  });
  run.immediate();
  return applied;
}
