// Schedules in SQLite (ScheduleStore), for the SQLite event store: table `schedules` (migration
// 8). Every write is one statement guarded by the revision; a claim is one immediate transaction,
// so two processes on one database never claim the same schedule at once.
import type { Database } from 'better-sqlite3';
import type { ScheduleRecord, ScheduleStore } from './port.js';
import { scheduleDueAt } from './schedule-due.js';

interface Row {
  schedule_id: string;
  record: string;
}

const fromRow = (row: Row): ScheduleRecord => JSON.parse(row.record) as ScheduleRecord;

/** The ScheduleStore of one SQLite database. */
export function sqliteSchedules(db: Database): ScheduleStore {
  const insert = db.prepare(
    `INSERT INTO schedules (schedule_id, namespace, revision, due_at, record)
     VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  const get = db.prepare<[string], Row>(
    'SELECT schedule_id, record FROM schedules WHERE schedule_id = ?',
  );
  const list = db.prepare<[string, number, number], Row>(
    `SELECT schedule_id, record FROM schedules WHERE namespace = ?
     ORDER BY rowid DESC LIMIT ? OFFSET ?`,
  );
  const update = db.prepare(
    `UPDATE schedules SET revision = ?, due_at = ?, record = ?, claim_owner = NULL,
       claim_until = NULL
     WHERE schedule_id = ? AND revision = ?`,
  );
  const remove = db.prepare('DELETE FROM schedules WHERE schedule_id = ?');
  const due = db.prepare<[number, number, string, number], Row>(
    `SELECT schedule_id, record FROM schedules
     WHERE due_at IS NOT NULL AND due_at <= ?
       AND (claim_until IS NULL OR claim_until <= ? OR claim_owner = ?)
     ORDER BY due_at LIMIT ?`,
  );
  const claim = db.prepare(
    'UPDATE schedules SET claim_owner = ?, claim_until = ? WHERE schedule_id = ?',
  );
  const claimDue = db.transaction(
    (now: number, owner: string, leaseMs: number, limit: number): Row[] => {
      const rows = due.all(now, now, owner, Math.max(0, limit));
      for (const row of rows) claim.run(owner, now + leaseMs, row.schedule_id);
      return rows;
    },
  );

  return {
    async createSchedule(record) {
      const res = insert.run(
        record.scheduleId,
        record.namespace,
        record.revision,
        scheduleDueAt(record) ?? null,
        JSON.stringify(record),
      );
      return res.changes === 1;
    },
    async getSchedule(scheduleId) {
      const row = get.get(scheduleId);
      return row === undefined ? undefined : fromRow(row);
    },
    async listSchedules(namespace, page = {}) {
      return list.all(namespace, page.limit ?? -1, page.offset ?? 0).map(fromRow);
    },
    async updateSchedule(record, expectedRevision) {
      const res = update.run(
        record.revision,
        scheduleDueAt(record) ?? null,
        JSON.stringify(record),
        record.scheduleId,
        expectedRevision,
      );
      return res.changes === 1;
    },
    async deleteSchedule(scheduleId) {
      return remove.run(scheduleId).changes === 1;
    },
    async claimDueSchedules(now, owner, leaseMs, limit) {
      return claimDue.immediate(now, owner, leaseMs, limit).map(fromRow);
    },
  };
}
