// PgEventStore against a real PostgreSQL ($DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres).
// The file creates its own database (aob_test_<random>) and drops it afterwards. A server that
// cannot be reached fails the file: integration tests never skip.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyNewEvent, AnyRunEvent } from '@aob/core';
import {
  draftStoreConformance,
  runLogConformance,
  namespaceBudgetConformance,
  scheduleStoreConformance,
  tokenStoreConformance,
  workflowPatchStoreConformance,
  workflowRegistryConformance,
} from './conformance/index.js';
import { log, started } from './conformance/fixtures.js';
import { PgEventStore } from './pg-events.js';
import type { PgEventStoreOptions } from './pg-events.js';
import { PG_MIGRATIONS } from './pg-schema.js';
import { sql } from './pg-statements.js';
import { dropCreatedDatabases, freshDatabase } from './test-support/pg-databases.js';

afterAll(dropCreatedDatabases);

let suiteUrl = '';
beforeAll(async () => {
  suiteUrl = await freshDatabase();
});

const open = (url: string, options: PgEventStoreOptions = {}): Promise<PgEventStore> =>
  PgEventStore.open({ connectionString: url, ...options });

// The conformance suites want an empty store per test: one database, emptied each time. The
// cluster store implements every port but the local topology's leases and inbox.
const emptied = async (): Promise<PgEventStore> => {
  const store = await open(suiteUrl, { poolSize: 4 });
  const c = new pg.Client({ connectionString: suiteUrl });
  await c.connect();
  await c.query(
    'TRUNCATE runs, events, workflows, outbox, patches, run_keys, timers, api_tokens, namespace_budgets, drafts, draft_changes, schedules RESTART IDENTITY',
  );
  await c.end();
  return store;
};
runLogConformance('PgEventStore', emptied);
workflowRegistryConformance('PgEventStore', emptied);
workflowPatchStoreConformance('PgEventStore', emptied);
tokenStoreConformance('PgEventStore', emptied);
namespaceBudgetConformance('PgEventStore', emptied);
draftStoreConformance('PgEventStore', emptied);
scheduleStoreConformance('PgEventStore', emptied);

const codeOf = (err: unknown): string | undefined => (err as { code?: string }).code;

/** Appends `count` single events to `runId`, re-reading the last seq and retrying on conflict. */
async function appendWithRetry(
  store: PgEventStore,
  runId: string,
  actor: string,
  count: number,
): Promise<number> {
  let conflicts = 0;
  for (let i = 0; i < count;) {
    const lastSeq = (await store.getRun(runId))?.lastSeq ?? 0;
    const event = { ...log(i, `${actor}-${i}`), actor };
    try {
      await store.append(runId, 'ir', lastSeq, [event]);
      i++;
    } catch (err) {
      if (codeOf(err) !== 'SEQ_CONFLICT') throw err;
      conflicts++;
    }
  }
  return conflicts;
}

describe('PgEventStore', () => {
  let url = '';
  beforeAll(async () => {
    url = await freshDatabase();
  });

  it('migrates a fresh database exactly once when several processes start at once', async () => {
    const fresh = await freshDatabase();
    const stores = await Promise.all(Array.from({ length: 4 }, () => open(fresh, { poolSize: 1 })));
    await Promise.all(stores.map((s) => s.close()));
    const c = new pg.Client({ connectionString: fresh });
    await c.connect();
    try {
      const { rows } = await c.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      expect(rows).toEqual(PG_MIGRATIONS.map((m) => ({ version: m.version })));
      const tables = await c.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'
         ORDER BY table_name`,
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual([
        'api_tokens',
        'attempts',
        'draft_changes',
        'drafts',
        'events',
        'namespace_budgets',
        'outbox',
        'patches',
        'run_keys',
        'runner_jobs',
        'runs',
        'schedules',
        'schema_migrations',
        'timers',
        'workflows',
      ]);
    } finally {
      await c.end();
    }
  });

  it('deletes the outbox rows published before migration 13, and keeps the unsent ones', async () => {
    const fresh = await freshDatabase();
    await (await open(fresh)).close();
    const c = new pg.Client({ connectionString: fresh });
    await c.connect();
    try {
      // As a version-12 relay left them: one row marked sent, one still to send.
      await c.query(`INSERT INTO outbox (topic, key, payload, sent_at)
                     VALUES ('t', 'sent', '1', clock_timestamp()), ('t', 'unsent', '2', NULL)`);
      // Back to version 12: what the later migrations made is undone with their rows.
      await c.query('DELETE FROM schema_migrations WHERE version >= 13');
      await c.query('DROP TABLE attempts');
      await (await open(fresh)).close();
      const { rows } = await c.query<{ key: string }>('SELECT key FROM outbox ORDER BY id');
      expect(rows).toEqual([{ key: 'unsent' }]);
    } finally {
      await c.end();
    }
  });

  it('upgrades a version-1 database: workflows keep their rows, not retired; patches work', async () => {
    const fresh = await freshDatabase();
    const c = new pg.Client({ connectionString: fresh });
    await c.connect();
    try {
      await c.query(`CREATE TABLE schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT clock_timestamp())`);
      await c.query(PG_MIGRATIONS[0]!.sql);
      await c.query('INSERT INTO schema_migrations (version, name) VALUES (1, $1)', [
        PG_MIGRATIONS[0]!.name,
      ]);
      await c.query(
        "INSERT INTO workflows (name, version, ir_hash, registered_at) VALUES ('w', '1', 'h1', 10), ('w', '2', 'h2', 20)",
      );
    } finally {
      await c.end();
    }

    const store = await open(fresh, { poolSize: 1 });
    try {
      expect(await store.getWorkflow('w')).toEqual({
        name: 'w',
        version: '2',
        irHash: 'h2',
        registeredAt: 20,
      });
      expect(await store.retireWorkflow('w', '2', 30)).toBe(true);
      expect((await store.getWorkflow('w'))?.version).toBe('1');
      const p = {
        patchId: 'p',
        workflow: 'w',
        baseVersion: '1',
        status: 'held' as const,
        author: 'a',
        ops: [],
        violations: [],
        baseIrHash: 'h1',
        proposedAt: 1,
      };
      expect(await store.putWorkflowPatch(p, null)).toBe(true);
      expect(await store.listWorkflowPatches('w')).toEqual([p]);
    } finally {
      await store.close();
    }
  });

  it("updates a run's summary in place (HOT) when an append leaves its status as it was", async () => {
    // A database of its own, so the table's counters are this test's alone.
    const own = await freshDatabase();
    const store = await open(own);
    await store.append('hot', 'ir', 0, [started(1)]);
    for (let seq = 1; seq <= 30; seq++) {
      // A step's append: a log line and the next node scheduled ("running" on a running run).
      const scheduled = {
        type: 'NodeScheduled',
        at: seq + 1,
        data: { nodeId: 'b', attempt: 1 },
      } as unknown as AnyNewEvent;
      await store.append('hot', 'ir', seq * 2 - 1, [log(seq + 1), scheduled]);
    }
    // Ending the pool's sessions makes their backends report their counters.
    await store.close();
    const counts = new pg.Client({ connectionString: own });
    await counts.connect();
    try {
      let row: { updates: number; hot: number } | undefined;
      for (let i = 0; i < 50 && !(row && row.updates >= 30); i++) {
        await counts.query('SELECT pg_stat_clear_snapshot()');
        const { rows } = await counts.query<{ updates: number; hot: number }>(
          `SELECT n_tup_upd::int AS updates, n_tup_hot_upd::int AS hot
             FROM pg_stat_user_tables WHERE relname = 'runs'`,
        );
        row = rows[0];
        if (!(row && row.updates >= 30)) await new Promise((r) => setTimeout(r, 100));
      }
      expect(row?.updates).toBeGreaterThanOrEqual(30);
      // Every one of them in place but, at worst, one whose page had no room left.
      expect(row!.hot).toBeGreaterThanOrEqual(row!.updates - 1);
    } finally {
      await counts.end();
    }
  });

  it('commits queued appends on close, then refuses new ones', async () => {
    const a = await open(url);
    const appended = a.append('on-close', 'ir', 0, [started(1)]);
    await a.close();
    await expect(appended).resolves.toHaveLength(1);
    await expect(a.append('on-close', 'ir', 1, [log(2)])).rejects.toMatchObject({
      code: 'STORE_CLOSED',
    });
    const b = await open(url);
    expect(await b.read('on-close')).toHaveLength(1);
    await b.close();
  });

  it('keeps seqs dense when two processes (two pools) append to one run at once', async () => {
    const setup = await open(url);
    await setup.append('shared', 'ir', 0, [started(1)]);
    await setup.close();

    const [p1, p2] = await Promise.all([open(url), open(url)]);
    const conflicts = await Promise.all([
      appendWithRetry(p1, 'shared', 'p1', 100),
      appendWithRetry(p2, 'shared', 'p2', 100),
    ]);
    const events = await p1.read('shared');
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 201 }, (_, i) => i + 1));
    expect(events.filter((e) => e.actor === 'p1')).toHaveLength(100);
    expect(events.filter((e) => e.actor === 'p2')).toHaveLength(100);
    expect(await p2.getRun('shared')).toMatchObject({ lastSeq: 201 });
    await Promise.all([p1.close(), p2.close()]);
    console.info(`two-process append conflicts: ${conflicts.join(', ')}`);
  });

  it('lets one of two processes create the same run, and rejects the other as a conflict', async () => {
    const [p1, p2] = await Promise.all([open(url), open(url)]);
    for (let i = 0; i < 20; i++) {
      const runId = `race-${i}`;
      const results = await Promise.allSettled([
        p1.append(runId, 'ir', 0, [started(1), log(2, 'p1')]),
        p2.append(runId, 'ir', 0, [started(1), log(2, 'p2')]),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(codeOf(lost.reason)).toBe('SEQ_CONFLICT');
      expect((await p1.read(runId)).map((e) => e.seq)).toEqual([1, 2]);
    }
    await Promise.all([p1.close(), p2.close()]);
  });

  it('turns an append that creates a run another transaction is creating into a conflict', async () => {
    const s = await open(url);
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      // Another writer's transaction has created the run but not committed yet: the store's
      // batch finds no row to lock, tries to create it, and must wait for the other to finish.
      await other.query('BEGIN');
      await other.query(
        `INSERT INTO runs (run_id, workflow, ir_hash, status, started_at, updated_at, last_seq)
         VALUES ('held', 'demo@1.0.0', 'ir', 'running', 1, 1, 1)`,
      );
      await other.query(
        `INSERT INTO events (run_id, seq, type, at, ir_hash, data) VALUES ('held', 1, 'RunStarted', 1, 'ir', '{}')`,
      );
      const mine = s.append('held', 'ir', 0, [started(2)]).catch((e: unknown) => e);
      const bystander = s.append('not-held', 'ir', 0, [started(2)]);
      await new Promise((r) => setTimeout(r, 200));
      await other.query('COMMIT');
      expect(await mine).toMatchObject({ code: 'SEQ_CONFLICT', retryable: true });
      await expect(bystander).resolves.toHaveLength(1);
      expect((await s.read('held')).map((e) => e.at)).toEqual([1]);
      expect(await s.getRun('held')).toMatchObject({ lastSeq: 1, startedAt: 1 });
    } finally {
      await other.end();
      await s.close();
    }
  });

  it('claims due timers once across two pollers, again after a lapsed claim, never once fired', async () => {
    const [a, b] = await Promise.all([open(url), open(url)]);
    await a.scheduleTimers(
      Array.from({ length: 50 }, (_, i) => ({
        timerId: `tm-${String(i).padStart(2, '0')}`,
        runId: `r-${i}`,
        nodeId: 'wait',
        purpose: 'timer',
        dueAt: 1000 + i,
      })),
    );
    // Scheduling again changes nothing.
    await a.scheduleTimers([{ timerId: 'tm-00', runId: 'x', purpose: 'timer', dueAt: 1 }]);
    expect(await a.claimDueTimers(999, 10, 'early')).toEqual([]);

    const [ca, cb] = await Promise.all([
      a.claimDueTimers(1039, 100, 'a', 100),
      b.claimDueTimers(1039, 100, 'b', 100),
    ]);
    const claimed = [...ca, ...cb].map((t) => t.timerId).sort();
    expect(claimed).toEqual(
      Array.from({ length: 40 }, (_, i) => `tm-${String(i).padStart(2, '0')}`),
    );
    expect(ca[0] ?? cb[0]).toMatchObject({
      runId: 'r-0',
      nodeId: 'wait',
      purpose: 'timer',
      dueAt: 1000,
    });
    for (const list of [ca, cb]) {
      expect(list.map((t) => t.dueAt)).toEqual(list.map((t) => t.dueAt).sort((x, y) => x - y));
    }
    // a fires its timers; b's lapse (b "crashed") and are claimed again by a.
    await a.markTimersFired(
      ca.map((t) => t.timerId),
      1040,
    );
    expect(await a.claimDueTimers(1100, 100, 'a')).toHaveLength(10); // tm-40…49, b's still leased
    const again = await a.claimDueTimers(1200, 100, 'a');
    expect(again.map((t) => t.timerId).sort()).toEqual(cb.map((t) => t.timerId).sort());
    await Promise.all([a.close(), b.close()]);
  });

  it('counts the unfired timers due at a time, claimed or not (the timers-due gauge)', async () => {
    const s = await open(url);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('TRUNCATE timers');
    await c.end();
    await s.scheduleTimers(
      [500, 1000, 1000, 2000].map((dueAt, i) => ({
        timerId: `due-${i}`,
        runId: `r-${i}`,
        purpose: 'timer',
        dueAt,
      })),
    );
    expect(await s.countDueTimers(499)).toBe(0);
    expect(await s.countDueTimers(1000)).toBe(3);
    // Claimed is still due (its claimer may have died); fired is not.
    expect(await s.claimDueTimers(1000, 2, 'poller', 60_000)).toHaveLength(2);
    expect(await s.countDueTimers(1000)).toBe(3);
    await s.markTimersFired(['due-0', 'due-1'], 1001);
    expect(await s.countDueTimers(1500)).toBe(1);
    expect(await s.countDueTimers(5000)).toBe(2);
    await s.close();
  });

  describe('outbox', () => {
    const outboxRows = async (runKey: string) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const { rows } = await c.query<{ id: string; topic: string; payload: unknown }>(
          'SELECT id, topic, payload FROM outbox WHERE key = $1 ORDER BY id',
          [runKey],
        );
        return rows;
      } finally {
        await c.end();
      }
    };

    it('commits events and outbox rows together, or neither on a conflict', async () => {
      const s = await open(url);
      const job = { topic: 'aob.node.jobs.high', key: 'ob-1', value: { nodeId: 'a', attempt: 1 } };
      const appended = await s.appendWithOutbox('ob-1', 'ir', 0, [started(1)], [job]);
      expect(appended.map((e) => e.seq)).toEqual([1]);
      expect(await outboxRows('ob-1')).toMatchObject([
        { topic: 'aob.node.jobs.high', payload: { nodeId: 'a', attempt: 1 } },
      ]);

      // A stale expected seq: the append conflicts and its outbox rows are not written.
      const stale = { topic: 'aob.node.results', key: 'ob-1', value: { stale: true } };
      const err = await s.appendWithOutbox('ob-1', 'ir', 0, [started(2)], [stale]).catch((e) => e);
      expect(codeOf(err)).toBe('SEQ_CONFLICT');
      // In one batch with a winning append to the same run: only the winner's rows are written.
      const results = await Promise.allSettled([
        s.appendWithOutbox('ob-1', 'ir', 1, [log(3, 'win')], [{ ...stale, value: { n: 'win' } }]),
        s.appendWithOutbox('ob-1', 'ir', 1, [log(3, 'lose')], [{ ...stale, value: { n: 'lose' } }]),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
      expect((await outboxRows('ob-1')).map((r) => r.payload)).toEqual([
        { nodeId: 'a', attempt: 1 },
        { n: 'win' },
      ]);
      expect((await s.read('ob-1')).map((e) => e.seq)).toEqual([1, 2]);
      await s.close();
    });

    it('claims disjoint rows from two connections (SKIP LOCKED), oldest first, until marked sent', async () => {
      const writer = await open(url);
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query('TRUNCATE outbox');
      await c.end();
      const total = 300;
      await Promise.all(
        Array.from({ length: total / 3 }, (_, i) =>
          writer.appendWithOutbox(
            `claim-${i}`,
            'ir',
            0,
            [started(1)],
            [
              { topic: 't', key: `claim-${i}`, value: { i, k: 0 } },
              { topic: 't', key: `claim-${i}`, value: { i, k: 1 }, headers: { h: 'v' } },
              { topic: 't', key: `claim-${i}`, value: { i, k: 2 } },
            ],
          ),
        ),
      );
      await writer.close();

      const [r1, r2] = await Promise.all([open(url), open(url)]);
      const seen: number[][] = [[], []];
      const relay = async (store: PgEventStore, into: number[], owner: string) => {
        for (;;) {
          const rows = await store.claimOutbox(7, { owner });
          if (rows.length === 0) return;
          const ids = rows.map((r) => r.id);
          expect(ids).toEqual([...ids].sort((a, b) => a - b));
          into.push(...ids);
          await store.markSent(ids);
        }
      };
      await Promise.all([
        relay(r1, seen[0] as number[], 'r1'),
        relay(r2, seen[1] as number[], 'r2'),
      ]);
      const all = [...(seen[0] as number[]), ...(seen[1] as number[])];
      expect(all).toHaveLength(total);
      expect(new Set(all).size).toBe(total);
      expect(await r1.claimOutbox(10)).toEqual([]);
      await Promise.all([r1.close(), r2.close()]);
    });

    it('hands a claimed row to another relay once its claim has lapsed', async () => {
      const s = await open(url);
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query('TRUNCATE outbox');
      await c.end();
      await s.appendWithOutbox(
        'lapse',
        'ir',
        0,
        [started(1)],
        [{ topic: 't', key: 'lapse', value: 1, headers: { traceparent: 'x' } }],
      );
      const [first] = await s.claimOutbox(10, { owner: 'crashed', leaseMs: 200 });
      expect(first).toMatchObject({
        topic: 't',
        key: 'lapse',
        value: 1,
        headers: { traceparent: 'x' },
      });
      expect(await s.claimOutbox(10, { owner: 'other' })).toEqual([]); // still claimed
      await new Promise((r) => setTimeout(r, 300));
      const again = await s.claimOutbox(10, { owner: 'other' });
      expect(again.map((r) => r.id)).toEqual([first?.id]);
      await s.markSent([first?.id as number]);
      await new Promise((r) => setTimeout(r, 50));
      expect(await s.claimOutbox(10, { owner: 'third', leaseMs: 1 })).toEqual([]);
      await s.close();
    });
    it('counts the rows not marked sent, claimed or not (the backlog gauge)', async () => {
      const s = await open(url);
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query('TRUNCATE outbox');
      await c.end();
      expect(await s.countUnsentOutbox()).toBe(0);
      const rows = (run: string) => [1, 2].map((n) => ({ topic: 't', key: run, value: n }));
      await s.appendWithOutbox('backlog-1', 'ir', 0, [started(1)], rows('backlog-1'));
      await s.appendWithOutbox('backlog-2', 'ir', 0, [started(1)], rows('backlog-2'), {
        token: 'w:1',
        leaseMs: 60_000,
      });
      await s.appendWithOutbox('backlog-3', 'ir', 0, [started(1)], rows('backlog-3'), {
        token: 'w:2',
        leaseMs: 60_000,
      });
      expect(await s.countUnsentOutbox()).toBe(6);
      const claimed = await s.claimOutbox(10, { owner: 'relay' });
      expect(claimed).toHaveLength(2);
      expect(await s.countUnsentOutbox()).toBe(6);
      // Published rows are deleted, not kept marked: the table holds only the backlog.
      const rowsLeft = async () => {
        const q = new pg.Client({ connectionString: url });
        await q.connect();
        const { rows } = await q.query<{ n: string }>('SELECT count(*) AS n FROM outbox');
        await q.end();
        return Number(rows[0]?.n);
      };
      await s.markSent(claimed.map((r) => r.id));
      expect(await s.countUnsentOutbox()).toBe(4);
      expect(await rowsLeft()).toBe(4);
      // Several claims' rows in one statement.
      await s.markSentByClaims(['w:1', 'w:2']);
      expect(await s.countUnsentOutbox()).toBe(0);
      expect(await rowsLeft()).toBe(0);
      await s.close();
    });
    it("commits the relay's claims, renewals and marks without a WAL flush, and only those", async () => {
      const s = await open(url);
      const rows = [1, 2].map((n) => ({ topic: 't', key: 'nf', value: n }));
      await s.appendWithOutbox('nf', 'ir', 0, [started(1)], rows);
      await s.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const setting = async () =>
        (await c.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]
          ?.synchronous_commit;
      // Each statement in a transaction of its own, as the relay's autocommitted statement runs.
      const run = async (statement: { name: string; text: string; values: unknown[] }) => {
        await c.query('BEGIN');
        const { rows: found, rowCount } = await c.query<{ id: string }>(statement);
        expect(rowCount, statement.name).toBeGreaterThan(0);
        // Inside the statement's transaction the commit is asynchronous ...
        expect(await setting(), statement.name).toBe('off');
        await c.query('COMMIT');
        // ... and the session keeps its own setting after it: a decision pooled on the same
        // connection still waits for its flush.
        expect(await setting(), statement.name).toBe('on');
        return found;
      };
      try {
        const claimed = await run(sql.claimOutbox([2, 'nf-relay', 60_000]));
        expect(claimed).toHaveLength(2);
        await run(sql.renewClaims([['nf-relay'], 60_000]));
        await run(sql.markSent([[claimed[0]?.id]]));
        await run(sql.markSentByClaims([['nf-relay']]));
        expect(
          Number(
            (await c.query("SELECT count(*) AS n FROM outbox WHERE key = 'nf' AND sent_at IS NULL"))
              .rows[0].n,
          ),
        ).toBe(0);
      } finally {
        await c.end();
      }
    });
  });

  describe('outbox rows committed already claimed', () => {
    async function storeOnEmptyOutbox() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query('TRUNCATE outbox');
      await c.end();
      return open(url);
    }
    const row = (run: string) => [{ topic: 't', key: run, value: run }];

    it('are not swept while the writer publishes them; marked by token; swept after a crash', async () => {
      const s = await storeOnEmptyOutbox();
      await s.appendWithOutbox('claimed-ok', 'ir', 0, [started(1)], row('claimed-ok'), {
        token: 'w1:1',
        leaseMs: 60_000,
      });
      await s.appendWithOutbox('claimed-crash', 'ir', 0, [started(1)], row('claimed-crash'), {
        token: 'w1:2',
        leaseMs: 200,
      });
      // Neither is claimable while its writer's lease lasts.
      expect(await s.claimOutbox(10, { owner: 'sweeper' })).toEqual([]);
      await s.markSentByClaims(['w1:1']);
      await new Promise((r) => setTimeout(r, 300));
      // The writer of the second "died": its row comes back to the sweep; the first never does.
      const swept = await s.claimOutbox(10, { owner: 'sweeper' });
      expect(swept.map((r) => r.key)).toEqual(['claimed-crash']);
      await s.markSent(swept.map((r) => r.id));
      await s.markSentByClaims(['w1:2']); // late: changes nothing
      expect(await s.claimOutbox(10, { owner: 'sweeper', leaseMs: 1 })).toEqual([]);
      await s.close();
    });

    it('stay unclaimable while their writer renews the claim, and only while it is still theirs', async () => {
      const s = await storeOnEmptyOutbox();
      await s.appendWithOutbox('renewed', 'ir', 0, [started(1)], row('renewed'), {
        token: 'w2:1',
        leaseMs: 150,
      });
      await s.appendWithOutbox('not-renewed', 'ir', 0, [started(1)], row('not-renewed'), {
        token: 'w2:2',
        leaseMs: 150,
      });
      // The writer renews only the first, past its first lease.
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 100));
        await s.renewClaims(['w2:1'], 150);
      }
      const swept = await s.claimOutbox(10, { owner: 'sweeper', leaseMs: 60_000 });
      expect(swept.map((r) => r.key)).toEqual(['not-renewed']);
      // The sweeper holds that row now: a late renewal by its first writer takes nothing back.
      await s.renewClaims(['w2:2'], 60_000);
      await s.markSent(swept.map((r) => r.id));
      await s.markSentByClaims(['w2:1']);
      expect(await s.countUnsentOutbox()).toBe(0);
      await s.close();
    });
  });

  describe('group commit', () => {
    it('writes a batch to runs where it expects them in one guarded statement, and a stale one under locks', async () => {
      const s = await open(url);
      // Creating runs that do not exist yet takes the guarded statement too.
      await s.append('guarded-1', 'ir', 0, [started(1)]);
      await s.append('guarded-2', 'ir', 0, [started(1)]);
      expect(s.stats.guarded).toBe(s.stats.transactions);
      expect(await s.getRun('guarded-1')).toMatchObject({ lastSeq: 1, status: 'running' });
      // A run that exists already: nothing written, the locked path rejects it.
      await expect(s.append('guarded-1', 'ir', 0, [started(1)])).rejects.toMatchObject({
        code: 'SEQ_CONFLICT',
      });
      expect(s.stats.guarded).toBe(2);
      const before = s.stats;
      await Promise.all([
        s.append('guarded-1', 'ir', 1, [log(2)]),
        s.append('guarded-2', 'ir', 1, [log(2), log(3)]),
        s.append('guarded-1', 'ir', 2, [log(3)]),
      ]);
      const after = s.stats;
      expect(after.guarded - before.guarded).toBe(after.transactions - before.transactions);
      expect((await s.getRun('guarded-1'))?.lastSeq).toBe(3);
      expect((await s.getRun('guarded-2'))?.lastSeq).toBe(3);
      // Expecting seq 2 where the run is at 3: the guard writes nothing, the locked path says why.
      await expect(s.append('guarded-2', 'ir', 2, [log(9)])).rejects.toMatchObject({
        code: 'SEQ_CONFLICT',
      });
      expect(s.stats.guarded).toBe(after.guarded);
      expect((await s.read('guarded-2')).map((e) => e.seq)).toEqual([1, 2, 3]);
      await s.close();
    });

    it('commits 200 concurrent appends to 200 runs in far fewer than 200 transactions', async () => {
      const s = await open(url);
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => s.append(`gc-${i}`, 'ir', 0, [started(i), log(i)])),
      );
      expect(results.every((r) => r.length === 2)).toBe(true);
      const { transactions, appends } = s.stats;
      expect(appends).toBe(200);
      expect(transactions).toBeLessThanOrEqual(10);
      const runs = await s.listRuns({ status: ['running'] });
      expect(runs.filter((r) => r.runId.startsWith('gc-'))).toHaveLength(200);
      await s.close();
    });

    it('settles each append of a batch on its own', async () => {
      const s = await open(url);
      await s.append('mixed-a', 'ir', 0, [started(1)]);
      const settled = await Promise.allSettled([
        s.append('mixed-a', 'ir', 1, [log(2)]), // ok
        s.append('mixed-a', 'ir', 5, [log(2)]), // stale
        s.append('mixed-b', 'ir', 0, [log(1)]), // not a RunStarted
        s.append('mixed-c', 'ir', 0, [started(1)]), // new run
        s.append('mixed-c', 'ir', 1, [log(2), log(3)]), // pipelined on the new run
        s.append('mixed-a', 'ir', 2, []), // seq check, after the first append
      ]);
      expect(settled.map((r) => (r.status === 'fulfilled' ? 'ok' : codeOf(r.reason)))).toEqual([
        'ok',
        'SEQ_CONFLICT',
        'INVALID_APPEND',
        'ok',
        'ok',
        'ok',
      ]);
      expect(s.stats.transactions).toBe(2);
      expect(await s.getRun('mixed-c')).toMatchObject({ lastSeq: 3, updatedAt: 3 });
      expect(await s.getRun('mixed-b')).toBeUndefined();
      await s.close();
    });

    it('measures append throughput: 1,000 runs × 2 appends', { timeout: 120_000 }, async () => {
      const s = await open(url, { poolSize: 4 });
      const t0 = performance.now();
      const runs = Array.from({ length: 1000 }, async (_, i): Promise<AnyRunEvent[]> => {
        const runId = `tp-${i}`;
        await s.append(runId, 'ir', 0, [started(i)]);
        return s.append(runId, 'ir', 1, [log(i)]);
      });
      await Promise.all(runs);
      const ms = performance.now() - t0;
      const { transactions, appends } = s.stats;
      expect(appends).toBe(2000);
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const { rows } = await c.query<{ n: string }>(
        "SELECT count(*) AS n FROM events WHERE run_id LIKE 'tp-%'",
      );
      await c.end();
      expect(Number(rows[0]?.n)).toBe(2000);
      await s.close();
      console.info(
        `pg append throughput: 2000 appends (1000 runs x 2) in ${ms.toFixed(0)} ms = ` +
          `${Math.round((2000 / ms) * 1000)} appends/s, ${transactions} transactions`,
      );
    });
  });
});
