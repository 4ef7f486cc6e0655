// Every SQL statement of the SQLite event store, prepared once per connection. The rows they return,
// and their mapping to port records, are those of rows.ts (shared with PostgreSQL); JSON columns
// arrive as text.
import type { Database, Statement } from 'better-sqlite3';
import type { EventRow, InboxRow, LeaseRow, PatchRow, RunRow, WorkflowRow } from './rows.js';

type Nullable = string | null;

export interface Statements {
  insertEvent: Statement<[string, number, string, number, string, string, Nullable, Nullable]>;
  insertRunKey: Statement<[string, string]>;
  findRun: Statement<[string], { run_id: string }>;
  readEvents: Statement<[string, number], EventRow<string>>;
  createRun: Statement<[string, string, string, string, number, number, number, Nullable, string]>;
  advanceRun: Statement<[number, number, string, string, number]>;
  changeRunStatus: Statement<[string, string, string]>;
  lastSeq: Statement<[string], { last_seq: number }>;
  getRun: Statement<[string], RunRow>;
  putWorkflow: Statement<[string, string, string, number]>;
  getWorkflow: Statement<[string, string], WorkflowRow>;
  latestWorkflow: Statement<[string], WorkflowRow>;
  listWorkflows: Statement<[], WorkflowRow>;
  retireWorkflow: Statement<[number, string, string]>;
  insertPatch: Statement<[string, string, string, string]>;
  updatePatch: Statement<[string, string, string, string, string]>;
  getPatch: Statement<[string], PatchRow<string>>;
  listPatches: Statement<[], PatchRow<string>>;
  listPatchesOf: Statement<[string], PatchRow<string>>;
  acquireLease: Statement<[string, string, number, number]>;
  takeOverLease: Statement<[string, number, string, string]>;
  renewLeases: Statement<[number, string]>;
  releaseLease: Statement<[string, string]>;
  getLease: Statement<[string], LeaseRow>;
  enqueue: Statement<[string, string, string, number]>;
  pending: Statement<[string], InboxRow<string>>;
  pendingAll: Statement<[], InboxRow<string>>;
  complete: Statement<[number]>;
}

export function prepareStatements(db: Database): Statements {
  return {
    insertEvent: db.prepare(
      `INSERT INTO events (run_id, seq, type, at, ir_hash, data, actor, traceparent)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertRunKey: db.prepare('INSERT OR IGNORE INTO run_keys (key, run_id) VALUES (?, ?)'),
    findRun: db.prepare('SELECT run_id FROM run_keys WHERE key = ?'),
    readEvents: db.prepare('SELECT * FROM events WHERE run_id = ? AND seq >= ? ORDER BY seq'),
    // A new run: does nothing (0 changes) if the run exists, which the caller reports as a conflict.
    createRun: db.prepare(
      `INSERT INTO runs (run_id, workflow, ir_hash, status, started_at, updated_at, last_seq, parent_run_id, namespace)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id) DO NOTHING`,
    ),
    // Check-and-move in one statement: 0 changes means the run's last seq is not the expected one.
    advanceRun: db.prepare(
      `UPDATE runs SET last_seq = ?, updated_at = ?, ir_hash = ?
       WHERE run_id = ? AND last_seq = ?`,
    ),
    // The status apart, and only when it changes: SQLite rewrites every index on a column an
    // UPDATE sets, changed or not, and most appends "set" running on a running run
    // (NodeScheduled), so `status = COALESCE(?, status)` in advanceRun cost each of them a page of
    // runs_by_status (one WAL frame in four of a step's commit).
    changeRunStatus: db.prepare(`UPDATE runs SET status = ? WHERE run_id = ? AND status <> ?`),
    lastSeq: db.prepare('SELECT last_seq FROM runs WHERE run_id = ?'),
    getRun: db.prepare('SELECT * FROM runs WHERE run_id = ?'),

    // Re-registering keeps the row (its rowid, the registration order) and un-retires it.
    putWorkflow: db.prepare(
      `INSERT INTO workflows (name, version, ir_hash, registered_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name, version) DO UPDATE SET
         registered_at = excluded.registered_at, retired_at = NULL
       WHERE workflows.ir_hash = excluded.ir_hash`,
    ),
    getWorkflow: db.prepare('SELECT * FROM workflows WHERE name = ? AND version = ?'),
    latestWorkflow: db.prepare(
      `SELECT * FROM workflows WHERE name = ? AND retired_at IS NULL
       ORDER BY registered_at DESC, rowid DESC LIMIT 1`,
    ),
    listWorkflows: db.prepare('SELECT * FROM workflows ORDER BY name, registered_at, rowid'),
    retireWorkflow: db.prepare(
      'UPDATE workflows SET retired_at = ? WHERE name = ? AND version = ?',
    ),

    // One statement each, so atomic across processes. An insert takes the next proposal order
    // (0 changes: the id exists); an update is a compare-and-set on the status.
    insertPatch: db.prepare(
      `INSERT INTO patches (patch_id, workflow, status, record, ord)
       SELECT ?, ?, ?, ?, COALESCE(MAX(ord), 0) + 1 FROM patches WHERE true
       ON CONFLICT (patch_id) DO NOTHING`,
    ),
    updatePatch: db.prepare(
      `UPDATE patches SET workflow = ?, status = ?, record = ? WHERE patch_id = ? AND status = ?`,
    ),
    getPatch: db.prepare('SELECT record FROM patches WHERE patch_id = ?'),
    listPatches: db.prepare('SELECT record FROM patches ORDER BY ord'),
    listPatchesOf: db.prepare('SELECT record FROM patches WHERE workflow = ? ORDER BY ord'),

    // One statement, so atomic across processes: take the lease if it is free, expired, or ours.
    acquireLease: db.prepare(
      `INSERT INTO leases (run_id, owner, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (run_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
       WHERE leases.owner = excluded.owner OR leases.expires_at <= ?`,
    ),
    // Compare-and-set on the owner: only the holder the caller found gone is replaced.
    takeOverLease: db.prepare(
      'UPDATE leases SET owner = ?, expires_at = ? WHERE run_id = ? AND owner = ?',
    ),
    renewLeases: db.prepare('UPDATE leases SET expires_at = ? WHERE owner = ?'),
    releaseLease: db.prepare('DELETE FROM leases WHERE run_id = ? AND owner = ?'),
    getLease: db.prepare('SELECT * FROM leases WHERE run_id = ?'),

    enqueue: db.prepare('INSERT INTO inbox (run_id, type, payload, at) VALUES (?, ?, ?, ?)'),
    pending: db.prepare(
      'SELECT id, run_id, type, payload, at FROM inbox WHERE run_id = ? AND done = 0 ORDER BY id',
    ),
    pendingAll: db.prepare(
      'SELECT id, run_id, type, payload, at FROM inbox WHERE done = 0 ORDER BY id',
    ),
    complete: db.prepare('UPDATE inbox SET done = 1 WHERE id = ?'),
  };
}

/**
 * `listRuns` has one statement shape per (number of statuses, namespace or not); each is prepared
 * on first use. Parameters: the statuses, then the namespace if any, then LIMIT and OFFSET.
 * rowid breaks ties between runs started in the same millisecond: later insert, newer run.
 */
export function listRunsSql(statuses: number, byNamespace: boolean): string {
  const where: string[] = [];
  if (statuses > 0) where.push(`status IN (${new Array<string>(statuses).fill('?').join(', ')})`);
  if (byNamespace) where.push('namespace = ?');
  const filter = where.length > 0 ? `WHERE ${where.join(' AND ')} ` : '';
  return `SELECT * FROM runs ${filter}ORDER BY started_at DESC, rowid DESC LIMIT ? OFFSET ?`;
}
