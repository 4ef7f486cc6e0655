// Versioned schema of the cluster (PostgreSQL) store. Migrations are append-only: never edit a
// shipped one, add the next number. `migratePg` applies the missing ones in ONE transaction that
// first takes a transaction-scoped advisory lock, so several processes starting at once apply each
// migration exactly once (the others wait, then find nothing to do).
//
// Times the engine records (`at`, `started_at`, `due_at`, …) are epoch milliseconds from the
// injected clock, stored as BIGINT; times only the database sees (outbox bookkeeping, claim
// leases) are timestamptz from the database clock, which all processes share.
//
// `events.data` is `json`, not `jsonb`, on purpose: jsonb reorders object keys and drops
// duplicate ones, and a log must read back exactly as written (the conformance suite and the
// golden histories compare serialised events). `json` is still validated on insert and works with
// the JSON operators and in expression indexes.
import type { Pool, PoolClient } from 'pg';
import { AobError } from '@aob/core';
import { StoreErrorCode } from './errors.js';
import type { Migration } from './sqlite-schema.js';

/** Key of the advisory lock that serialises migrations: an arbitrary constant, 'aobs' in ASCII. */
export const PG_MIGRATION_LOCK = 0x616f6273;

export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'workflows, runs, events, outbox, patches, tickets, timers, leases, inbox',
    sql: `
      CREATE TABLE workflows (
        name          text NOT NULL,
        version       text NOT NULL,
        ir_hash       text NOT NULL,
        registered_at bigint NOT NULL,
        -- Registration order, the tie-break for versions registered in the same millisecond.
        ord           bigint GENERATED ALWAYS AS IDENTITY,
        PRIMARY KEY (name, version)
      );

      CREATE TABLE runs (
        run_id        text PRIMARY KEY,
        workflow      text NOT NULL,
        ir_hash       text NOT NULL,
        status        text NOT NULL,
        started_at    bigint NOT NULL,
        updated_at    bigint NOT NULL,
        -- Moved only under the row lock taken by an append: the per-run seq authority.
        last_seq      bigint NOT NULL,
        parent_run_id text,
        -- Creation order, the tie-break for runs started in the same millisecond.
        ord           bigint GENERATED ALWAYS AS IDENTITY
      );
      CREATE INDEX runs_by_start ON runs (started_at DESC, ord DESC);
      CREATE INDEX runs_by_status ON runs (status, started_at DESC, ord DESC);
      CREATE INDEX runs_by_parent ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;

      -- The primary key is the optimistic-concurrency guard: one writer per (run, seq).
      CREATE TABLE events (
        run_id      text NOT NULL,
        seq         bigint NOT NULL,
        type        text NOT NULL,
        at          bigint NOT NULL,
        ir_hash     text NOT NULL,
        data        json NOT NULL,
        actor       text,
        traceparent text,
        PRIMARY KEY (run_id, seq)
      );

      -- Messages committed with the events of the decision that produced them; a relay
      -- publishes them and marks them sent (since migration 13: deletes them). A claim is a lease (claimed_until), so a relay that
      -- dies mid-publish loses nothing: its rows are claimable again once the lease runs out.
      CREATE TABLE outbox (
        id            bigserial PRIMARY KEY,
        topic         text NOT NULL,
        key           text NOT NULL,
        payload       jsonb NOT NULL,
        headers       jsonb NOT NULL DEFAULT '{}',
        created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
        sent_at       timestamptz,
        claimed_by    text,
        claimed_until timestamptz
      );
      CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

      -- Patch overlays (ARCHITECTURE §4): the proposal, its fate and the IR it produced.
      CREATE TABLE patches (
        patch_id     text PRIMARY KEY,
        scope        text NOT NULL CHECK (scope IN ('run', 'workflow')),
        target       text NOT NULL,
        base_ir_hash text NOT NULL,
        ops          jsonb NOT NULL,
        author       text NOT NULL,
        rationale    text,
        status       text NOT NULL DEFAULT 'proposed'
                     CHECK (status IN ('proposed', 'rejected', 'applied', 'reverted')),
        violations   jsonb,
        ir_hash      text,
        proposed_at  bigint NOT NULL,
        decided_at   bigint,
        ord          bigint GENERATED ALWAYS AS IDENTITY
      );
      CREATE INDEX patches_by_target ON patches (scope, target, ord);

      -- Approval tickets; open ones past due_at are claimed (FOR UPDATE SKIP LOCKED) to escalate.
      CREATE TABLE tickets (
        ticket_id     text PRIMARY KEY,
        run_id        text NOT NULL,
        node_id       text NOT NULL,
        approvers     jsonb NOT NULL,
        quorum        integer NOT NULL DEFAULT 1,
        due_at        bigint,
        status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'decided', 'cancelled')),
        decision      text,
        decided_by    text,
        created_at    bigint NOT NULL,
        decided_at    bigint,
        claimed_by    text,
        claimed_until bigint
      );
      CREATE INDEX tickets_open_due ON tickets (due_at) WHERE status = 'open';
      CREATE INDEX tickets_by_run ON tickets (run_id);

      -- Durable timers; due ones are claimed (FOR UPDATE SKIP LOCKED) by whoever fires them.
      CREATE TABLE timers (
        timer_id      text PRIMARY KEY,
        run_id        text NOT NULL,
        node_id       text,
        purpose       text NOT NULL,
        due_at        bigint NOT NULL,
        fired_at      bigint,
        claimed_by    text,
        claimed_until bigint
      );
      CREATE INDEX timers_pending_due ON timers (due_at) WHERE fired_at IS NULL;
      CREATE INDEX timers_by_run ON timers (run_id);

      CREATE TABLE leases (
        run_id     text PRIMARY KEY,
        owner      text NOT NULL,
        expires_at bigint NOT NULL
      );
      CREATE INDEX leases_by_owner ON leases (owner);

      CREATE TABLE inbox (
        id      bigserial PRIMARY KEY,
        run_id  text NOT NULL,
        type    text NOT NULL,
        payload jsonb NOT NULL,
        at      bigint NOT NULL,
        done    boolean NOT NULL DEFAULT false
      );
      CREATE INDEX inbox_pending ON inbox (run_id, id) WHERE NOT done;
    `,
  },
  {
    version: 2,
    name: 'retired workflow versions, workflow-scope patches',
    sql: `
      ALTER TABLE workflows ADD COLUMN retired_at bigint;

      -- The patches table of version 1 was never written (run-scope patches live in their run's
      -- log), so it is replaced by the workflow-scope one: the indexed fields as columns, the
      -- whole WorkflowPatchRecord as jsonb (key order is irrelevant to a record, unlike a log).
      DROP TABLE patches;
      CREATE TABLE patches (
        patch_id text PRIMARY KEY,
        workflow text NOT NULL,
        status   text NOT NULL CHECK (status IN ('held', 'applied', 'rejected', 'reverted')),
        record   jsonb NOT NULL,
        -- Proposal (insertion) order.
        ord      bigint GENERATED ALWAYS AS IDENTITY
      );
      CREATE INDEX patches_by_workflow ON patches (workflow, ord);
      CREATE INDEX patches_by_ord ON patches (ord);
    `,
  },
  {
    version: 3,
    name: 'outbox rows committed already claimed by their writer',
    sql: `
      -- A writer that publishes its own rows right after the commit marks them sent by its claim
      -- token; unsent rows are few, so the index stays small.
      CREATE INDEX outbox_unsent_by_claim ON outbox (claimed_by) WHERE sent_at IS NULL;
    `,
  },
  {
    version: 4,
    name: 'run namespaces, API tokens',
    sql: `
      -- Every run belongs to one namespace (ARCHITECTURE §9); runs from before have the default one.
      ALTER TABLE runs ADD COLUMN namespace text NOT NULL DEFAULT 'default';
      CREATE INDEX runs_by_namespace ON runs (namespace, started_at DESC, ord DESC);

      -- API bearer tokens, stored as the sha256 of the token (the token itself is shown once).
      CREATE TABLE api_tokens (
        token_id   text PRIMARY KEY,
        hash       text NOT NULL UNIQUE,
        subject    text NOT NULL,
        role       text NOT NULL,
        namespace  text NOT NULL,
        groups     json NOT NULL,
        created_at bigint NOT NULL,
        created_by text NOT NULL,
        revoked_at bigint
      );
    `,
  },
  {
    version: 5,
    name: 'quiet running runs',
    sql: `
      -- The stall sweep (StallStore.quietRuns) looks for running runs not updated for a while.
      CREATE INDEX runs_running_by_update ON runs (updated_at) WHERE status = 'running';
    `,
  },
  {
    version: 6,
    name: 'run keys: patch and ticket ids to their run; tickets, leases and inbox tables dropped',
    sql: `
      -- Written with the events that introduce the id (run-log.ts runKeysOf), so finding the run
      -- of a patch or a ticket reads one row instead of folding every log.
      CREATE TABLE run_keys (
        key    text PRIMARY KEY,
        run_id text NOT NULL
      );
      INSERT INTO run_keys (key, run_id)
        SELECT 'patch:' || (data->>'patchId'), run_id FROM events
        WHERE type IN ('PatchProposed', 'PatchRejected')
        ON CONFLICT (key) DO NOTHING;
      INSERT INTO run_keys (key, run_id)
        SELECT 'ticket:' || (data->>'ticketId'), run_id FROM events
        WHERE type = 'ApprovalRequested'
        ON CONFLICT (key) DO NOTHING;

      -- Tickets live in their runs' logs (and the index above); this table was never written.
      DROP TABLE tickets;
      -- Leases and the inbox belong to the local topology: in the cluster a run's owner is the
      -- orchestrator of its partition, and commands travel on the bus.
      DROP TABLE leases;
      DROP TABLE inbox;
    `,
  },
  {
    version: 7,
    name: 'job tokens: a run scope and an expiry',
    sql: `
      -- A job token (ARCHITECTURE §9), minted by an orchestrator for one agent job, speaks for one
      -- run only and stops working at expires_at; the orchestrators delete expired ones.
      ALTER TABLE api_tokens ADD COLUMN run_id text, ADD COLUMN expires_at bigint;
      CREATE INDEX api_tokens_by_expiry ON api_tokens (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
  {
    version: 8,
    name: 'namespace budgets',
    sql: `
      -- A namespace's budget, set by an admin (the whole record as JSON): runs started in the
      -- namespace record it on RunStarted, so changing it never changes a run's history.
      CREATE TABLE namespace_budgets (
        namespace text PRIMARY KEY,
        record    jsonb NOT NULL
      );
    `,
  },
  {
    version: 9,
    name: 'the runner queue (runners outside the cluster)',
    sql: `
      -- Jobs of nodes routed to runners outside the cluster (with.runsOn), one row per attempt,
      -- taken through the API (RunnerJobStore; pg-runner-jobs.ts). A claim is a lease
      -- (lease_id, lease_until: engine clock); one that runs out makes the row claimable again.
      -- A finished row keeps its outcome, sent again if the attempt's job is queued again.
      CREATE TABLE runner_jobs (
        job_key     text PRIMARY KEY,
        run_id      text NOT NULL,
        namespace   text NOT NULL,
        label       text NOT NULL,
        priority    smallint NOT NULL,
        job         json NOT NULL,
        lease_id    text UNIQUE,
        leased_by   text,
        lease_until bigint,
        deliveries  integer NOT NULL DEFAULT 0,
        outcome     json,
        enqueued_at bigint NOT NULL,
        finished_at bigint,
        -- Queue order, the tie-break within a priority.
        ord         bigint GENERATED ALWAYS AS IDENTITY
      );
      CREATE INDEX runner_jobs_claimable ON runner_jobs (namespace, label, priority, ord)
        WHERE finished_at IS NULL;
      CREATE INDEX runner_jobs_finished ON runner_jobs (finished_at) WHERE finished_at IS NOT NULL;
    `,
  },
  {
    version: 10,
    name: 'drafts',
    sql: `
      -- Workflow definitions being edited (DraftStore; pg-drafts.ts): the definition as it is now
      -- (json: read back exactly as written), its revision (compare-and-set on every change),
      -- and the rest of the record; the change log is append-only, one row per change (seq = the
      -- revision it made), deleted with its draft.
      CREATE TABLE drafts (
        draft_id    text PRIMARY KEY,
        namespace   text NOT NULL,
        revision    integer NOT NULL,
        definition  json NOT NULL,
        meta        json NOT NULL,
        focus       jsonb,
        commits     jsonb NOT NULL,
        last_change jsonb,
        updated_at  bigint NOT NULL,
        -- Creation order, for lists (newest first).
        ord         bigint GENERATED ALWAYS AS IDENTITY
      );
      CREATE INDEX drafts_by_namespace ON drafts (namespace, ord);
      CREATE TABLE draft_changes (
        draft_id text NOT NULL REFERENCES drafts (draft_id) ON DELETE CASCADE,
        seq      integer NOT NULL,
        record   json NOT NULL,
        PRIMARY KEY (draft_id, seq)
      );
    `,
  },
  {
    version: 11,
    name: 'schedules',
    sql: `
      -- Schedules (ScheduleStore; pg-schedules.ts): the record, its revision (compare-and-set on
      -- every write), when a scheduler must look at it next (due_at, NULL while paused or over;
      -- schedule-due.ts) and which orchestrator holds it until when (claims: FOR UPDATE SKIP
      -- LOCKED, so replicas share the work).
      CREATE TABLE schedules (
        schedule_id text PRIMARY KEY,
        namespace   text NOT NULL,
        revision    integer NOT NULL,
        due_at      bigint,
        claim_owner text,
        claim_until bigint,
        record      json NOT NULL,
        -- Creation order, for lists (newest first).
        ord         bigint GENERATED ALWAYS AS IDENTITY
      );
      CREATE INDEX schedules_by_namespace ON schedules (namespace, ord);
      CREATE INDEX schedules_due ON schedules (due_at) WHERE due_at IS NOT NULL;
    `,
  },
  {
    version: 12,
    name: 'runs updated in place',
    sql: `
      -- Every append moves its run's updated_at. While an index held updated_at, no such update
      -- could be a heap-only (HOT) update: each one wrote a new entry into every index on runs
      -- (five per step of every run). Without it, and with room left in each page for the new
      -- row version, an append that does not change the run's status touches no index. The stall
      -- sweep (pg-stalls.ts) finds running runs through runs_by_status and filters them by
      -- updated_at instead: a read of the running runs every sweep, not a write per step.
      DROP INDEX runs_running_by_update;
      ALTER TABLE runs SET (fillfactor = 80);
    `,
  },
  {
    version: 13,
    name: 'published outbox rows deleted',
    sql: `
      -- A relay now deletes the rows it has published (markSent, markSentByClaims) instead of
      -- setting sent_at, so the outbox holds only what is still to be sent. The rows published
      -- before are deleted here once. sent_at stays: it is null on every row from now on.
      DELETE FROM outbox WHERE sent_at IS NOT NULL;
    `,
  },
  {
    version: 14,
    name: 'attempt ledger',
    sql: `
      -- The runners' attempt ledger when AOB_ATTEMPT_LEDGER=pg (pg-attempts.ts): one row per node
      -- attempt, its outcome (JSON text, the first recorded) and its live claims (owner -> when
      -- the claim lapses, epoch ms). created_at is never updated, so a claim's or an outcome's
      -- update touches no index and stays heap-only; the sweep of old rows reads it.
      CREATE TABLE attempts (
        path       text PRIMARY KEY,
        outcome    text,
        claims     jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      ) WITH (fillfactor = 80);
      CREATE INDEX attempts_by_creation ON attempts (created_at);
    `,
  },
];

/** Brings the schema up to the latest version; returns the versions it applied. */
export async function migratePg(pool: Pool): Promise<number[]> {
  const client = await pool.connect();
  // A connection lost mid-migration fails the query in progress; its 'error' event must not also
  // go unhandled (the pool listens only to idle clients).
  let broken: Error | undefined;
  const onError = (err: Error) => (broken = err);
  client.on('error', onError);
  try {
    return await migrateWith(client);
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

async function migrateWith(client: PoolClient): Promise<number[]> {
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [PG_MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )`);
    const { rows } = await client.query<{ v: number }>(
      'SELECT COALESCE(MAX(version), 0)::int AS v FROM schema_migrations',
    );
    const current = rows[0]?.v ?? 0;
    const latest = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]?.version ?? 0;
    if (current > latest) {
      throw new AobError(
        StoreErrorCode.SchemaTooNew,
        `database schema is at version ${current}, this aob knows up to ${latest}`,
      );
    }
    for (const m of PG_MIGRATIONS) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
