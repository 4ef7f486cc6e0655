import type { ScheduleRecord } from './port.js';

/**
 * When the scheduler must look at a schedule next: never while paused; at once while a tick is
 * buffered (its run may start when the one before ends); else when its next tick's run is due.
 * Every adapter indexes this value, so a poll reads only due schedules.
 */
export function scheduleDueAt(record: ScheduleRecord): number | undefined {
  if (record.paused) return undefined;
  if (record.bufferedTickAt !== undefined) return record.bufferedTickAt;
  return record.nextDueAt;
}
