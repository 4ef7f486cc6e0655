// An AttemptLedger in the cluster's PostgreSQL (migration 14, table `attempts`), for
// installations whose runners may reach the database: the cluster on Kafka without a durable Redis,
// and any process that runs a runner beside its orchestrator. One row per attempt (`path`, as
// `attemptPath` spells it): the outcome (`outcome`, the JSON text of the first one recorded, kept
// as text so it reads back exactly as written) and the live claims (`claims`, owner → when the
// claim lapses, epoch ms by the claimer's clock, as the S3 and Redis ledgers keep them).
//
// Every operation is one statement. A claim is an `INSERT … ON CONFLICT DO UPDATE`, which locks the
// attempt's row and computes the new claims from the row as the last committed claimer left it, so
// of concurrent claimers exactly one sees no live claim beside its own: one round trip, against
// three requests on S3.
//
// Durability: an outcome waits for the WAL flush before `finish` resolves (it is recorded before
// the result is published, and a finished attempt must never run again). Claims, renewals and
// releases commit without waiting for it (`synchronous_commit` off for that statement's
// transaction only): a claim lost to a database crash lets a job delivered again after it run
// beside the attempt in flight — the at-least-once of an attempt in flight, which a database crash
// already gives, since the orchestrator's log loses nothing it acted on.
//
// Rows are never read once their run is over; each ledger deletes, at most once per `sweepEveryMs`,
// the rows created more than `retainMs` ago (default 7 days) that hold no live claim.
import type { Pool, PoolConfig, QueryConfig } from 'pg';
import type { AttemptKey, AttemptLedger, ClaimAnswer } from './attempts.js';
import { attemptPath, DEFAULT_LEDGER_RETAIN_MS } from './attempts.js';
import { pgLibrary } from './client-libraries.js';
import { storeClosed } from './errors.js';
import { migratePg } from './pg-schema.js';
import { NO_FLUSH, named } from './pg-statements.js';

export interface PgAttemptLedgerOptions {
  /** Used when `pool` is not given. Default postgres://postgres@127.0.0.1:5432/postgres. */
  connectionString?: string;
  /** A pool to use (and not end); otherwise one of `poolSize` connections is made. */
  pool?: Pool;
  /** Connections of the pool made here (default 4). */
  poolSize?: number;
  /** Extra pg.Pool settings (timeouts, ssl, …) of the pool made here. */
  poolConfig?: Omit<PoolConfig, 'connectionString' | 'max'>;
  /** How long an attempt's row is kept after it was created; default 7 days. */
  retainMs?: number;
  /** The least time between two sweeps of old rows; default 10 minutes. */
  sweepEveryMs?: number;
  now?: () => number;
}

const DEFAULT_SWEEP_EVERY_MS = 10 * 60_000;
/** PostgreSQL's SQLSTATE for a relation that does not exist. */
const UNDEFINED_TABLE = '42P01';

/** The claims of a row whose owner is not $2 and that lapse after $3. */
const OTHERS_LIVE = `SELECT 1 FROM jsonb_each_text(a.claims) c
  WHERE c.key <> $2::text AND c.value::bigint > $3::bigint`;

// $1 path, $2 owner, $3 now, $4 ttl. An ended attempt keeps its row as it is; a live claim of
// another owner withdraws the caller's; otherwise the caller's claim replaces every lapsed one.
const CLAIM = named(
  'ledger_claim',
  `
  INSERT INTO attempts AS a (path, claims)
  SELECT $1::text, jsonb_build_object($2::text, $3::bigint + $4::bigint) FROM ${NO_FLUSH}
  ON CONFLICT (path) DO UPDATE SET claims = CASE
    WHEN a.outcome IS NOT NULL THEN a.claims
    WHEN EXISTS (${OTHERS_LIVE}) THEN a.claims - $2::text
    ELSE jsonb_build_object($2::text, $3::bigint + $4::bigint)
  END
  RETURNING outcome, claims`,
);

// $1 path, $2 owner, $3 until. A claim is not renewed once the attempt has an outcome.
const RENEW = named(
  'ledger_renew',
  `
  UPDATE attempts SET claims = claims || jsonb_build_object($2::text, $3::bigint)
  FROM ${NO_FLUSH}
  WHERE path = $1 AND outcome IS NULL`,
);

// $1 path, $2 owner, $3 outcome. The first outcome recorded stays. Waits for the WAL flush.
const FINISH = named(
  'ledger_finish',
  `
  INSERT INTO attempts AS a (path, outcome) VALUES ($1, $3)
  ON CONFLICT (path) DO UPDATE SET
    outcome = COALESCE(a.outcome, EXCLUDED.outcome),
    claims = a.claims - $2::text`,
);

// $1 path, $2 owner.
const RELEASE = named(
  'ledger_release',
  `UPDATE attempts SET claims = claims - $2::text FROM ${NO_FLUSH} WHERE path = $1`,
);

// $1 the oldest creation kept, $2 now. A bounded batch per sweep, so a sweep never holds many locks.
const SWEEP = named(
  'ledger_sweep',
  `
  DELETE FROM attempts WHERE path IN (
    SELECT path FROM attempts a
    WHERE a.created_at < to_timestamp($1::bigint / 1000.0)
      AND NOT EXISTS (SELECT 1 FROM jsonb_each_text(a.claims) c WHERE c.value::bigint > $2::bigint)
    LIMIT 10000)`,
);

export class PgAttemptLedger implements AttemptLedger {
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly retainMs: number;
  private readonly sweepEveryMs: number;
  private readonly now: () => number;
  /** The schema brought up to date once, on the first operation (a runner may start first). */
  private ready: Promise<void> | undefined;
  private lastSweep: number;
  private sweeping: Promise<void> | undefined;
  private closed = false;

  constructor(options: PgAttemptLedgerOptions = {}) {
    this.ownsPool = options.pool === undefined;
    this.pool =
      options.pool ??
      new (pgLibrary().Pool)({
        ...options.poolConfig,
        connectionString: options.connectionString ?? 'postgres://postgres@127.0.0.1:5432/postgres',
        max: options.poolSize ?? 4,
      });
    // An idle client's error (the server went away) must not crash the process; the next query
    // on that client fails and is reported to its caller.
    if (this.ownsPool) this.pool.on('error', () => undefined);
    this.retainMs = options.retainMs ?? DEFAULT_LEDGER_RETAIN_MS;
    this.sweepEveryMs = options.sweepEveryMs ?? DEFAULT_SWEEP_EVERY_MS;
    this.now = options.now ?? Date.now;
    this.lastSweep = this.now();
  }

  async claim(key: AttemptKey, owner: string, ttlMs: number): Promise<ClaimAnswer> {
    const now = this.now();
    const { rows } = await this.query<{ outcome: string | null; claims: Record<string, number> }>(
      CLAIM,
      [attemptPath(key), owner, now, ttlMs],
    );
    const row = rows[0]!;
    if (row.outcome !== null) return { kind: 'finished', outcome: JSON.parse(row.outcome) };
    const owners = Object.entries(row.claims)
      .filter(([who, until]) => who !== owner && Number(until) > now)
      .map(([who]) => who);
    return owners.length > 0 ? { kind: 'busy', owners } : { kind: 'claimed' };
  }

  async renew(key: AttemptKey, owner: string, ttlMs: number): Promise<void> {
    await this.query(RENEW, [attemptPath(key), owner, this.now() + ttlMs]);
  }

  async finish(key: AttemptKey, owner: string, outcome: unknown): Promise<void> {
    await this.query(FINISH, [attemptPath(key), owner, JSON.stringify(outcome)]);
    this.sweepIfDue();
  }

  async release(key: AttemptKey, owner: string): Promise<void> {
    await this.query(RELEASE, [attemptPath(key), owner]);
  }

  /** Deletes old rows now (the sweep `finish` starts every `sweepEveryMs`); resolves to the count. */
  async sweep(): Promise<number> {
    const now = this.now();
    this.lastSweep = now;
    const result = await this.query(SWEEP, [now - this.retainMs, now]);
    return result.rowCount ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sweeping;
    if (this.ownsPool) await this.pool.end();
  }

  /**
   * Migrates the schema only where the table is missing: a runner's role may be allowed to touch
   * `attempts` alone, once an orchestrator has migrated (a migration creates tables).
   */
  private async ensureTable(): Promise<void> {
    try {
      await this.pool.query('SELECT 1 FROM attempts LIMIT 0');
    } catch (err) {
      if ((err as { code?: string }).code !== UNDEFINED_TABLE) throw err;
      await migratePg(this.pool);
    }
  }

  private sweepIfDue(): void {
    if (this.sweeping !== undefined || this.now() - this.lastSweep < this.sweepEveryMs) return;
    // A failed sweep is tried again at the next one; it never fails an outcome already recorded.
    this.sweeping = this.sweep()
      .then(() => undefined)
      .catch(() => undefined)
      .finally(() => (this.sweeping = undefined));
  }

  /** Runs one of the statements above (prepared once per connection) with its values. */
  private async query<R extends object = Record<string, unknown>>(
    statement: (values: unknown[]) => QueryConfig,
    values: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }> {
    if (this.closed) throw storeClosed();
    this.ready ??= this.ensureTable().catch((err: unknown) => {
      this.ready = undefined; // the next operation tries again
      throw err;
    });
    await this.ready;
    return this.pool.query<R>(statement(values));
  }
}
