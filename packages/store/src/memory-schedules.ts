// Schedules in memory (ScheduleStore), for the memory event store. Records are kept as JSON text,
// as the durable adapters keep them, so a caller never holds a reference into the store; each
// method runs synchronously up to its end, so a compare-and-set or a claim is atomic.
import type { ScheduleRecord, ScheduleStore } from './port.js';
import { scheduleDueAt } from './schedule-due.js';

interface Entry {
  json: string;
  claim?: { owner: string; until: number };
}

export class MemorySchedules implements ScheduleStore {
  /** Insertion order is creation order. */
  private readonly schedules = new Map<string, Entry>();

  async createSchedule(record: ScheduleRecord): Promise<boolean> {
    if (this.schedules.has(record.scheduleId)) return false;
    this.schedules.set(record.scheduleId, { json: JSON.stringify(record) });
    return true;
  }

  async getSchedule(scheduleId: string): Promise<ScheduleRecord | undefined> {
    const entry = this.schedules.get(scheduleId);
    return entry === undefined ? undefined : (JSON.parse(entry.json) as ScheduleRecord);
  }

  async listSchedules(
    namespace: string,
    page: { offset?: number; limit?: number } = {},
  ): Promise<ScheduleRecord[]> {
    const mine = [...this.schedules.values()]
      .map((e) => JSON.parse(e.json) as ScheduleRecord)
      .filter((r) => r.namespace === namespace)
      .reverse();
    const offset = page.offset ?? 0;
    return mine.slice(offset, page.limit === undefined ? undefined : offset + page.limit);
  }

  async updateSchedule(record: ScheduleRecord, expectedRevision: number): Promise<boolean> {
    const entry = this.schedules.get(record.scheduleId);
    if (entry === undefined) return false;
    if ((JSON.parse(entry.json) as ScheduleRecord).revision !== expectedRevision) return false;
    this.schedules.set(record.scheduleId, { json: JSON.stringify(record) });
    return true;
  }

  async deleteSchedule(scheduleId: string): Promise<boolean> {
    return this.schedules.delete(scheduleId);
  }

  async claimDueSchedules(
    now: number,
    owner: string,
    leaseMs: number,
    limit: number,
  ): Promise<ScheduleRecord[]> {
    const due: { entry: Entry; record: ScheduleRecord; at: number }[] = [];
    for (const entry of this.schedules.values()) {
      const record = JSON.parse(entry.json) as ScheduleRecord;
      const at = scheduleDueAt(record);
      if (at === undefined || at > now) continue;
      if (entry.claim && entry.claim.until > now && entry.claim.owner !== owner) continue;
      due.push({ entry, record, at });
    }
    due.sort((a, b) => a.at - b.at);
    return due.slice(0, Math.max(0, limit)).map(({ entry, record }) => {
      entry.claim = { owner, until: now + leaseMs };
      return record;
    });
  }
}
