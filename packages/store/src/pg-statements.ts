// Every SQL statement of the PostgreSQL event store. Hot statements are named, so each pooled
// connection parses and plans them once. The rows they return, and their mapping to port records,
// are those of rows.ts (shared with SQLite): BIGINT columns arrive as strings (pg does not guess at
// 64-bit numbers), json/jsonb columns already parsed.
import type { QueryConfig } from 'pg';
import type { Big } from './rows.js';

export interface OutboxRow {
  id: Big;
  topic: string;
  key: string;
  payload: unknown;
  headers: Record<string, string>;
  created_at: Big;
}

/** A statement prepared once per pooled connection under `aob_<name>`; call it with its values. */
export const named = (name: string, text: string) => (values: unknown[]) =>
  ({ name: `aob_${name}`, text, values }) satisfies QueryConfig;

/**
 * A FROM item that makes the statement's own transaction commit without waiting for the WAL
 * flush (`synchronous_commit` off for this transaction only). An autocommitted statement cannot
 * be preceded by `SET LOCAL`; a volatile function joined into every updated row runs before any
 * row is written, and the setting is read at commit.
 */
export const NO_FLUSH = "(SELECT set_config('synchronous_commit', 'off', true)) AS no_flush";

const WORKFLOW_COLUMNS = 'name, version, ir_hash, registered_at, retired_at';

const RUN_COLUMNS =
  'run_id, workflow, ir_hash, status, started_at, updated_at, last_seq, parent_run_id, namespace';

/** writeBatch's text; guarded, every write waits on the runs being where the batch expects. */
function writeBatchText(guarded: boolean): string {
  const when = guarded ? '(SELECT ok FROM guard)' : 'true';
  const guard = guarded
    ? `locked AS (
       SELECT run_id, last_seq FROM runs WHERE run_id = ANY($22::text[])
       ORDER BY run_id FOR UPDATE
     ), guard AS (
       SELECT count(l.run_id) = cardinality($22::text[])
              AND coalesce(bool_and(l.last_seq = e.last_seq), true)
              AND NOT EXISTS (SELECT 1 FROM runs WHERE run_id = ANY($24::text[])) AS ok
       FROM unnest($22::text[], $23::bigint[]) AS e(run_id, last_seq)
       LEFT JOIN locked l USING (run_id)
     ), created AS (
       INSERT INTO runs (${RUN_COLUMNS})
       SELECT run_id, workflow, ir_hash, status, started_at, updated_at, last_seq, parent_run_id,
              namespace
       FROM unnest($25::text[], $26::text[], $27::text[], $28::text[], $29::bigint[],
                   $30::bigint[], $31::bigint[], $32::text[], $33::text[])
            WITH ORDINALITY AS n(run_id, workflow, ir_hash, status, started_at, updated_at,
                                 last_seq, parent_run_id, namespace, ord)
       WHERE ${when}
       ORDER BY ord
       RETURNING 1
     ), `
    : '';
  return `WITH ${guard}moved AS (
       UPDATE runs r
       SET last_seq = u.last_seq, updated_at = u.updated_at, ir_hash = u.ir_hash,
           status = COALESCE(u.status, r.status)
       FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[])
            AS u(run_id, last_seq, updated_at, ir_hash, status)
       WHERE r.run_id = u.run_id AND ${when}
       RETURNING 1
     ), keyed AS (
       INSERT INTO run_keys (key, run_id)
       SELECT * FROM unnest($20::text[], $21::text[]) WHERE ${when}
       ON CONFLICT (key) DO NOTHING
       RETURNING 1
     ), boxed AS (
       INSERT INTO outbox (topic, key, payload, headers, claimed_by, claimed_until)
       SELECT topic, key, payload, headers, claimed_by,
              CASE WHEN lease_ms IS NULL THEN NULL
                   ELSE clock_timestamp() + make_interval(secs => lease_ms / 1000) END
       FROM unnest($14::text[], $15::text[], $16::jsonb[], $17::jsonb[], $18::text[],
                   $19::float8[])
            WITH ORDINALITY AS o(topic, key, payload, headers, claimed_by, lease_ms, ord)
       WHERE ${when}
       ORDER BY ord
       RETURNING 1
     ), inserted AS (
       INSERT INTO events (run_id, seq, type, at, ir_hash, data, actor, traceparent)
       SELECT * FROM unnest($6::text[], $7::bigint[], $8::text[], $9::bigint[], $10::text[],
                            $11::json[], $12::text[], $13::text[]) WHERE ${when}
       RETURNING 1
     )
     SELECT ${when} AS ok`;
}

export const sql = {
  // --- the group commit (see pg-events.ts) ---
  /** Locks the batch's existing runs in one order (run id), so two batches cannot deadlock on them. */
  lockRuns: named(
    'lock_runs',
    `SELECT run_id, last_seq, status FROM runs WHERE run_id = ANY($1::text[])
     ORDER BY run_id FOR UPDATE`,
  ),
  /** New runs, in queue order (creation order is the listing tie-break); returns the ones created. */
  createRuns: named(
    'create_runs',
    `INSERT INTO runs (${RUN_COLUMNS})
     SELECT run_id, workflow, ir_hash, status, started_at, updated_at, last_seq, parent_run_id,
            namespace
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
                 $7::bigint[], $8::text[], $9::text[])
          WITH ORDINALITY AS n(run_id, workflow, ir_hash, status, started_at, updated_at,
                               last_seq, parent_run_id, namespace, ord)
     ORDER BY ord
     ON CONFLICT (run_id) DO NOTHING
     RETURNING run_id`,
  ),
  /**
   * Everything else a batch writes, in one statement: the summaries of the (locked) runs it
   * advances, the events of every accepted append, and their outbox rows in order. A summary's
   * status is left as it is where the batch gives none.
   */
  writeBatch: named('write_batch', writeBatchText(false)),
  /**
   * The same writes as one statement on its own (autocommit: one round trip, no BEGIN, no lock
   * query, no COMMIT), guarded: it locks the runs $22 in run-id order, and writes only if each
   * exists with the last seq $23 the batch was planned on and none of the runs $24 exists. It
   * also creates the batch's new runs ($25–$33, createRuns' columns). Returns `ok`: false, nothing
   * was written (the caller plans the batch again under the locks). A run another writer creates
   * between the guard's look and the insert fails the whole statement on the primary key (23505),
   * and nothing is written either.
   */
  guardedWriteBatch: named('guarded_write_batch', writeBatchText(true)),
  lastSeq: named('last_seq', 'SELECT last_seq FROM runs WHERE run_id = $1'),
  findRun: named('find_run', 'SELECT run_id FROM run_keys WHERE key = $1'),

  // --- reads ---
  readEvents: named(
    'read_events',
    `SELECT run_id, seq, type, at, ir_hash, data, actor, traceparent
     FROM events WHERE run_id = $1 AND seq >= $2 ORDER BY seq`,
  ),
  getRun: named('get_run', `SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = $1`),
  /** LIMIT NULL is no limit; an empty or null status list, no status filter. */
  /**
   * Runs with one of the statuses $1: a statement of its own, so the plan reads the status index
   * (live runs are few however many finished ones the store holds) instead of every run.
   */
  listRunsByStatus: named(
    'list_runs_by_status',
    `SELECT ${RUN_COLUMNS} FROM runs
     WHERE status = ANY($1::text[]) AND ($3::text IS NULL OR namespace = $3)
     ORDER BY started_at DESC, ord DESC LIMIT $2 OFFSET $4`,
  ),
  listRuns: named(
    'list_runs',
    `SELECT ${RUN_COLUMNS} FROM runs
     WHERE (cardinality($1::text[]) = 0 OR status = ANY($1::text[]))
       AND ($3::text IS NULL OR namespace = $3)
     ORDER BY started_at DESC, ord DESC LIMIT $2 OFFSET $4`,
  ),

  // --- API tokens (stored hashed) ---
  putToken: named(
    'put_token',
    `INSERT INTO api_tokens (token_id, hash, subject, role, namespace, groups, created_at, created_by, run_id, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6::json, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
  ),
  findToken: named('find_token', 'SELECT * FROM api_tokens WHERE hash = $1'),
  listTokens: named(
    'list_tokens',
    `SELECT * FROM api_tokens WHERE $1::text IS NULL OR namespace = $1 ORDER BY created_at, token_id`,
  ),
  revokeToken: named(
    'revoke_token',
    'UPDATE api_tokens SET revoked_at = $2 WHERE token_id = $1 AND revoked_at IS NULL',
  ),
  deleteExpiredTokens: named(
    'delete_expired_tokens',
    'DELETE FROM api_tokens WHERE expires_at < $1',
  ),

  // --- namespace budgets ---
  putNamespaceBudget: named(
    'put_namespace_budget',
    `INSERT INTO namespace_budgets (namespace, record) VALUES ($1, $2::jsonb)
     ON CONFLICT (namespace) DO UPDATE SET record = excluded.record`,
  ),
  getNamespaceBudget: named(
    'get_namespace_budget',
    'SELECT record FROM namespace_budgets WHERE namespace = $1',
  ),
  deleteNamespaceBudget: named(
    'delete_namespace_budget',
    'DELETE FROM namespace_budgets WHERE namespace = $1',
  ),

  // --- workflows ---
  /** Re-registering keeps the row (its ord, the registration order) and un-retires it. */
  putWorkflow: named(
    'put_workflow',
    `INSERT INTO workflows (name, version, ir_hash, registered_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (name, version)
     DO UPDATE SET registered_at = excluded.registered_at, retired_at = NULL
     WHERE workflows.ir_hash = excluded.ir_hash`,
  ),
  getWorkflow: named(
    'get_workflow',
    `SELECT ${WORKFLOW_COLUMNS} FROM workflows WHERE name = $1 AND version = $2`,
  ),
  latestWorkflow: named(
    'latest_workflow',
    `SELECT ${WORKFLOW_COLUMNS} FROM workflows WHERE name = $1 AND retired_at IS NULL
     ORDER BY registered_at DESC, ord DESC LIMIT 1`,
  ),
  listWorkflows: named(
    'list_workflows',
    `SELECT ${WORKFLOW_COLUMNS} FROM workflows ORDER BY name, registered_at, ord`,
  ),
  retireWorkflow: named(
    'retire_workflow',
    'UPDATE workflows SET retired_at = $3 WHERE name = $1 AND version = $2',
  ),

  // --- workflow-scope patches: one statement each, so atomic across processes ---
  /** 0 rows: the id exists. */
  insertPatch: named(
    'insert_patch',
    `INSERT INTO patches (patch_id, workflow, status, record) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT (patch_id) DO NOTHING`,
  ),
  /**
   * Compare-and-set on the status. Under READ COMMITTED a concurrent update of the same row waits
   * for the first to commit, then re-checks the WHERE on the new row, so only one of them wins.
   */
  updatePatch: named(
    'update_patch',
    `UPDATE patches SET workflow = $2, status = $3, record = $4::jsonb
     WHERE patch_id = $1 AND status = $5`,
  ),
  getPatch: named('get_patch', 'SELECT record FROM patches WHERE patch_id = $1'),
  listPatches: named(
    'list_patches',
    'SELECT record FROM patches WHERE $1::text IS NULL OR workflow = $1 ORDER BY ord',
  ),

  // --- outbox ---
  // The relay's own bookkeeping (claims, renewals, marks) commits without waiting for the WAL
  // flush (NO_FLUSH). Losing one in a crash only makes a row unsent or unclaimed again, and a
  // relay then publishes it once more, which the bus's at-least-once contract already allows (a
  // crash between a publish and its mark does the same). The WAL is written in order, so such a
  // commit never survives a crash that loses the decision it follows.
  /**
   * Claims up to $1 unsent rows, oldest first, for $2 for $3 ms. SKIP LOCKED lets concurrent
   * relays claim disjoint rows without waiting; the lease keeps them disjoint after commit.
   */
  claimOutbox: named(
    'claim_outbox',
    `UPDATE outbox o
     SET claimed_by = $2, claimed_until = clock_timestamp() + make_interval(secs => $3::float8 / 1000)
     FROM (SELECT id FROM outbox
           WHERE sent_at IS NULL AND (claimed_until IS NULL OR claimed_until <= clock_timestamp())
           ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) c, ${NO_FLUSH}
     WHERE o.id = c.id
     RETURNING o.id, o.topic, o.key, o.payload, o.headers,
               (extract(epoch FROM o.created_at) * 1000)::bigint AS created_at`,
  ),
  // A published row is deleted, not updated: the outbox holds only what is still to be sent, so
  // it does not grow with the log, and a publish costs no new row version (an update of sent_at,
  // a column of the partial indexes' predicate, could never be heap-only: it wrote a version and
  // a primary-key entry per job).
  markSentByClaims: named(
    'mark_sent_by_claims',
    `DELETE FROM outbox USING ${NO_FLUSH}
     WHERE claimed_by = ANY($1::text[]) AND sent_at IS NULL`,
  ),
  renewClaims: named(
    'renew_claims',
    `UPDATE outbox
     SET claimed_until = clock_timestamp() + make_interval(secs => $2::float8 / 1000)
     FROM ${NO_FLUSH}
     WHERE claimed_by = ANY($1::text[]) AND sent_at IS NULL`,
  ),
  /** Unsent rows: every row since migration 13 (sent ones are deleted). */
  countUnsentOutbox: named(
    'count_unsent_outbox',
    'SELECT count(*)::bigint AS n FROM outbox WHERE sent_at IS NULL',
  ),
  markSent: named(
    'mark_sent',
    `DELETE FROM outbox USING ${NO_FLUSH}
     WHERE id = ANY($1::bigint[]) AND sent_at IS NULL`,
  ),
};
