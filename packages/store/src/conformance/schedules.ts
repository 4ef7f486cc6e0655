// The behaviour every ScheduleStore must show. `make` returns a fresh, empty store.
import { describe, expect, it } from 'vitest';
import type { ScheduleRecord, ScheduleStore } from '../port.js';
import { opener } from './fixtures.js';

export function scheduleStoreConformance(
  name: string,
  make: () => Promise<ScheduleStore & { close(): Promise<void> }>,
): void {
  describe(`ScheduleStore conformance: ${name}`, () => {
    const open = opener(make);
    const schedule = (
      scheduleId: string,
      namespace = 'acme',
      nextDueAt = 1_000,
    ): ScheduleRecord => ({
      scheduleId,
      namespace,
      workflow: 'report@2',
      inputs: { zeta: 'ünï ☃ "quoted"', alpha: [1, 2] },
      spec: { cron: '0 9 * * *', timezone: 'Europe/Berlin', jitterMs: 500 },
      overlap: 'skip',
      catchupWindowMs: 60_000,
      paused: false,
      nextTickAt: nextDueAt - 10,
      nextDueAt,
      counts: { started: 0, skipped: 0, missed: 0, failed: 0 },
      createdBy: 'ada',
      createdAt: 100,
      updatedAt: 100,
      revision: 0,
    });

    it('creates a schedule once and reads it back whole, with its key order', async () => {
      const s = await open();
      expect(await s.getSchedule('sch_1')).toBeUndefined();
      expect(await s.createSchedule(schedule('sch_1'))).toBe(true);
      expect(await s.createSchedule({ ...schedule('sch_1'), workflow: 'other' })).toBe(false);
      const got = await s.getSchedule('sch_1');
      expect(got).toEqual(schedule('sch_1'));
      expect(JSON.stringify(got!.inputs)).toBe(JSON.stringify(schedule('sch_1').inputs));
    });

    it("lists a namespace's schedules, newest first, paged", async () => {
      const s = await open();
      for (const id of ['sch_a', 'sch_b', 'sch_c']) await s.createSchedule(schedule(id));
      await s.createSchedule(schedule('sch_other', 'globex'));
      const ids = (await s.listSchedules('acme')).map((r) => r.scheduleId);
      expect(ids).toEqual(['sch_c', 'sch_b', 'sch_a']);
      const page = await s.listSchedules('acme', { offset: 1, limit: 1 });
      expect(page.map((r) => r.scheduleId)).toEqual(['sch_b']);
      expect((await s.listSchedules('nobody')).length).toBe(0);
    });

    it('updates only on the expected revision (compare-and-set)', async () => {
      const s = await open();
      await s.createSchedule(schedule('sch_1'));
      const paused = { ...schedule('sch_1'), paused: true, note: 'holiday', revision: 1 };
      expect(await s.updateSchedule(paused, 0)).toBe(true);
      expect(await s.updateSchedule({ ...paused, note: 'stale', revision: 1 }, 0)).toBe(false);
      expect(await s.getSchedule('sch_1')).toEqual(paused);
      expect(await s.updateSchedule({ ...schedule('sch_none'), revision: 1 }, 0)).toBe(false);
    });

    it('claims due, unpaused schedules earliest first, disjoint between owners until the lease ends', async () => {
      const s = await open();
      await s.createSchedule(schedule('sch_late', 'acme', 5_000));
      await s.createSchedule(schedule('sch_early', 'acme', 1_000));
      await s.createSchedule(schedule('sch_mid', 'globex', 2_000));
      await s.createSchedule({ ...schedule('sch_paused', 'acme', 500), paused: true });
      const { nextTickAt: _t, nextDueAt: _d, ...over } = schedule('sch_over');
      await s.createSchedule(over);

      const a = await s.claimDueSchedules(3_000, 'a', 1_000, 10);
      expect(a.map((r) => r.scheduleId)).toEqual(['sch_early', 'sch_mid']);
      expect(await s.claimDueSchedules(3_000, 'b', 1_000, 10)).toEqual([]);
      // The owner may claim its own again; another only once the lease is over.
      expect((await s.claimDueSchedules(3_500, 'a', 1_000, 1)).map((r) => r.scheduleId)).toEqual([
        'sch_early',
      ]);
      expect((await s.claimDueSchedules(4_600, 'b', 1_000, 10)).map((r) => r.scheduleId)).toEqual([
        'sch_early',
        'sch_mid',
      ]);
    });

    it('an update releases the claim; a buffered tick makes a schedule due at once', async () => {
      const s = await open();
      await s.createSchedule(schedule('sch_1', 'acme', 10_000));
      expect(await s.claimDueSchedules(2_000, 'a', 60_000, 10)).toEqual([]);
      const buffered = { ...schedule('sch_1', 'acme', 10_000), bufferedTickAt: 1_500, revision: 1 };
      expect(await s.updateSchedule(buffered, 0)).toBe(true);
      expect((await s.claimDueSchedules(2_000, 'a', 60_000, 10)).length).toBe(1);
      expect(await s.claimDueSchedules(2_000, 'b', 60_000, 10)).toEqual([]);
      expect(await s.updateSchedule({ ...buffered, revision: 2 }, 1)).toBe(true);
      expect((await s.claimDueSchedules(2_000, 'b', 60_000, 10)).length).toBe(1);
    });

    it('deletes a schedule', async () => {
      const s = await open();
      await s.createSchedule(schedule('sch_1'));
      expect(await s.deleteSchedule('sch_1')).toBe(true);
      expect(await s.deleteSchedule('sch_1')).toBe(false);
      expect(await s.getSchedule('sch_1')).toBeUndefined();
      expect(await s.claimDueSchedules(1e12, 'a', 1_000, 10)).toEqual([]);
    });
  });
}
