// Runs that may be stuck: running, with no event for a while and no timer pending. A run's
// progress comes from messages (results, commands, fired timers); if the one it waits for was
// lost, nothing will ever wake it, so the cluster's stall sweep finds it here and nudges it (a
// `redrive` command: attempts past their deadline are sent again). A quiet run that is fine — a
// long task within its timeout — is nudged for nothing, which changes nothing.
//
// The running runs are found through runs_by_status and filtered by updated_at: no index holds
// updated_at, because one would turn every append's update of its run into a write of every
// index on runs (pg-schema.ts, version 12).
import type { Pool } from 'pg';

const QUIET = `SELECT r.run_id FROM runs r
  WHERE r.status = 'running' AND r.updated_at < $1
    AND NOT EXISTS (SELECT 1 FROM timers t WHERE t.run_id = r.run_id AND t.fired_at IS NULL)
  ORDER BY r.updated_at LIMIT $2`;

export async function quietRuns(
  pool: Pool,
  updatedBefore: number,
  limit: number,
): Promise<string[]> {
  const { rows } = await pool.query<{ run_id: string }>({
    name: 'aob_quiet_runs',
    text: QUIET,
    values: [updatedBefore, limit],
  });
  return rows.map((r) => r.run_id);
}
