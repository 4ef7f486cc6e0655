// Durable timers in PostgreSQL. Any number of orchestrators poll for due timers; a claim is a
// lease (claimed_until, engine clock) taken with FOR UPDATE SKIP LOCKED, so concurrent pollers get
// disjoint timers without waiting on each other, and a timer whose claimer died before firing it
// is claimed again once the lease runs out. Firing is therefore at least once: whoever fires a
// timer must treat one its run no longer holds (already fired) as done.
import type { Pool } from 'pg';
import type { TimerRecord } from './port.js';

interface TimerRow {
  timer_id: string;
  run_id: string;
  node_id: string | null;
  purpose: string;
  due_at: string;
}

const SCHEDULE = `INSERT INTO timers (timer_id, run_id, node_id, purpose, due_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
  ON CONFLICT (timer_id) DO NOTHING`;

const CLAIM = `UPDATE timers t SET claimed_by = $3, claimed_until = $1::bigint + $4::bigint
  FROM (SELECT timer_id FROM timers
        WHERE fired_at IS NULL AND due_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
        ORDER BY due_at, timer_id LIMIT $2 FOR UPDATE SKIP LOCKED) c
  WHERE t.timer_id = c.timer_id
  RETURNING t.timer_id, t.run_id, t.node_id, t.purpose, t.due_at`;

// The partial index timers_pending_due holds exactly the unfired timers, by due time.
const COUNT_DUE = `SELECT count(*)::bigint AS n FROM timers WHERE fired_at IS NULL AND due_at <= $1`;

const FIRED = `UPDATE timers SET fired_at = $2, claimed_until = NULL
  WHERE timer_id = ANY($1::text[]) AND fired_at IS NULL`;

export async function scheduleTimers(pool: Pool, timers: readonly TimerRecord[]): Promise<void> {
  if (timers.length === 0) return;
  await pool.query({
    name: 'aob_schedule_timers',
    text: SCHEDULE,
    values: [
      timers.map((t) => t.timerId),
      timers.map((t) => t.runId),
      timers.map((t) => t.nodeId ?? null),
      timers.map((t) => t.purpose),
      timers.map((t) => t.dueAt),
    ],
  });
}

export async function claimDueTimers(
  pool: Pool,
  now: number,
  limit: number,
  owner: string,
  leaseMs = 30_000,
): Promise<TimerRecord[]> {
  const { rows } = await pool.query<TimerRow>({
    name: 'aob_claim_timers',
    text: CLAIM,
    values: [now, limit, owner, leaseMs],
  });
  return rows
    .map((r): TimerRecord => {
      const t: TimerRecord = {
        timerId: r.timer_id,
        runId: r.run_id,
        purpose: r.purpose,
        dueAt: Number(r.due_at),
      };
      if (r.node_id !== null) t.nodeId = r.node_id;
      return t;
    })
    .sort((a, b) => a.dueAt - b.dueAt || (a.timerId < b.timerId ? -1 : 1));
}

export async function markTimersFired(
  pool: Pool,
  timerIds: readonly string[],
  firedAt: number,
): Promise<void> {
  if (timerIds.length === 0) return;
  await pool.query({ name: 'aob_timers_fired', text: FIRED, values: [timerIds, firedAt] });
}

export async function countDueTimers(pool: Pool, now: number): Promise<number> {
  const { rows } = await pool.query<{ n: string }>({
    name: 'aob_count_due_timers',
    text: COUNT_DUE,
    values: [now],
  });
  return Number(rows[0]?.n ?? 0);
}
