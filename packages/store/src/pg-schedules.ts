// Schedules in PostgreSQL (ScheduleStore), for the cluster store: table `schedules` (migration
// 11; the record as json, read back with its key order). Writes are single statements guarded by the revision; claims take due rows with FOR UPDATE
// SKIP LOCKED, so orchestrator replicas polling at once get disjoint schedules.
import type { Pool } from 'pg';
import type { ScheduleRecord, ScheduleStore } from './port.js';
import { scheduleDueAt } from './schedule-due.js';

const INSERT = `INSERT INTO schedules (schedule_id, namespace, revision, due_at, record)
  VALUES ($1, $2, $3, $4, $5::json) ON CONFLICT (schedule_id) DO NOTHING`;

const GET = 'SELECT record FROM schedules WHERE schedule_id = $1';

const LIST = `SELECT record FROM schedules WHERE namespace = $1 ORDER BY ord DESC
  LIMIT $2 OFFSET $3`;

const UPDATE = `UPDATE schedules SET revision = $2, due_at = $3, record = $4::json,
    claim_owner = NULL, claim_until = NULL
  WHERE schedule_id = $1 AND revision = $5`;

const DELETE = 'DELETE FROM schedules WHERE schedule_id = $1';

const CLAIM = `UPDATE schedules SET claim_owner = $2, claim_until = $1::bigint + $3::bigint
  WHERE schedule_id IN (
    SELECT schedule_id FROM schedules
    WHERE due_at IS NOT NULL AND due_at <= $1
      AND (claim_until IS NULL OR claim_until <= $1 OR claim_owner = $2)
    ORDER BY due_at LIMIT $4
    FOR UPDATE SKIP LOCKED)
  RETURNING record, due_at`;

/** The ScheduleStore of one PostgreSQL pool. */
export function pgSchedules(pool: Pool): ScheduleStore {
  return {
    async createSchedule(record) {
      const res = await pool.query(INSERT, [
        record.scheduleId,
        record.namespace,
        record.revision,
        scheduleDueAt(record) ?? null,
        JSON.stringify(record),
      ]);
      return res.rowCount === 1;
    },
    async getSchedule(scheduleId) {
      const { rows } = await pool.query<{ record: ScheduleRecord }>(GET, [scheduleId]);
      return rows[0]?.record;
    },
    async listSchedules(namespace, page = {}) {
      const { rows } = await pool.query<{ record: ScheduleRecord }>(LIST, [
        namespace,
        page.limit ?? null,
        page.offset ?? 0,
      ]);
      return rows.map((r) => r.record);
    },
    async updateSchedule(record, expectedRevision) {
      const res = await pool.query(UPDATE, [
        record.scheduleId,
        record.revision,
        scheduleDueAt(record) ?? null,
        JSON.stringify(record),
        expectedRevision,
      ]);
      return res.rowCount === 1;
    },
    async deleteSchedule(scheduleId) {
      const res = await pool.query(DELETE, [scheduleId]);
      return res.rowCount === 1;
    },
    async claimDueSchedules(now, owner, leaseMs, limit) {
      const { rows } = await pool.query<{ record: ScheduleRecord; due_at: string }>(CLAIM, [
        now,
        owner,
        leaseMs,
        Math.max(0, limit),
      ]);
      return rows.sort((a, b) => Number(a.due_at) - Number(b.due_at)).map((r) => r.record);
    },
  };
}
