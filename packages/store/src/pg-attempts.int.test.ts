// The PostgreSQL attempt ledger against a real PostgreSQL ($DATABASE_URL), in a database of its
// own that is dropped afterwards. A server that cannot be reached fails the file.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptLedgerConformance } from './conformance/attempt-ledger.js';
import { PgAttemptLedger } from './pg-attempts.js';
import { dropCreatedDatabases, freshDatabase } from './test-support/pg-databases.js';

let url = '';
beforeAll(async () => {
  url = await freshDatabase();
});
afterAll(dropCreatedDatabases);

attemptLedgerConformance(
  'PostgreSQL',
  async (now) => new PgAttemptLedger({ connectionString: url, now }),
);

async function rowsOf(path: string): Promise<{ outcome: string | null; claims: object }[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT outcome, claims FROM attempts WHERE path = $1', [
      path,
    ]);
    return rows;
  } finally {
    await client.end();
  }
}

describe('PgAttemptLedger', () => {
  it('keeps an outcome exactly as written, and only the outcome once finished', async () => {
    const ledger = new PgAttemptLedger({ connectionString: url });
    try {
      const key = { runId: 'run_exact', nodeId: 'n', attempt: 1 };
      // Text no jsonb column could hold (a NUL) and key order jsonb would change.
      const outcome = { kind: 'failed', error: { message: 'nul \u0000 here', code: 'X' }, a: 1.5 };
      await ledger.claim(key, 'r1', 5_000);
      await ledger.finish(key, 'r1', outcome);
      const [row] = await rowsOf('run_exact/n/-/1');
      expect(row?.outcome).toBe(JSON.stringify(outcome));
      expect(row?.claims).toEqual({});
      expect(await ledger.claim(key, 'r2', 5_000)).toEqual({ kind: 'finished', outcome });
    } finally {
      await ledger.close();
    }
  });

  it('sweeps rows older than retainMs that no live claim holds', async () => {
    let clock = Date.now();
    const ledger = new PgAttemptLedger({
      connectionString: url,
      retainMs: 60_000,
      now: () => clock,
    });
    try {
      const done = { runId: 'run_sweep', nodeId: 'done', attempt: 1 };
      const held = { runId: 'run_sweep', nodeId: 'held', attempt: 1 };
      await ledger.claim(done, 'r1', 5_000);
      await ledger.finish(done, 'r1', { kind: 'succeeded' });
      await ledger.claim(held, 'r1', 600_000);
      expect(await ledger.sweep()).toBe(0); // both are younger than a minute
      clock += 120_000;
      // Also the conformance suite's rows of this database, whose claims lapsed long ago.
      expect(await ledger.sweep()).toBeGreaterThan(0);
      expect(await rowsOf('run_sweep/done/-/1')).toEqual([]);
      expect(await rowsOf('run_sweep/held/-/1')).toHaveLength(1);
    } finally {
      await ledger.close();
    }
  });

  it('names the problem when the database cannot be reached', async () => {
    const ledger = new PgAttemptLedger({
      connectionString: 'postgres://postgres@127.0.0.1:1/none',
      poolConfig: { connectionTimeoutMillis: 2_000 },
    });
    try {
      await expect(
        ledger.claim({ runId: 'r', nodeId: 'n', attempt: 1 }, 'r1', 1_000),
      ).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await ledger.close();
    }
  });
});
