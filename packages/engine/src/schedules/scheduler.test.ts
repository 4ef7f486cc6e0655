// The scheduler over a memory store, with runs started by a stand-in for the run operations that
// appends RunStarted as the engine does (and refuses a run id that exists): each overlap policy,
// catch-up inside and past the window, a pass that dies before it saves, two schedulers at once,
// pause and resume, trigger and backfill, and bad requests that persist nothing.
import { beforeEach, describe, expect, it } from 'vitest';
import { AobError, ValidationError } from '@aob/core';
import type { ScheduledBy } from '@aob/core';
import { MemoryEventStore } from '@aob/store';
import type { ScheduleRecord } from '@aob/store';
import { ScheduleControl } from './schedule-control.js';
import type { ScheduleRunOperations } from './schedule-control.js';
import { Scheduler } from './scheduler.js';

const definition = {
  name: 'report',
  version: '1',
  inputs: { type: 'object', properties: { team: { type: 'string' } }, required: ['team'] },
  nodes: [{ id: 'a', type: 'transform', with: { value: '{% inputs.team %}' } }],
};
const casRef = { $cas: `sha256:${'0'.repeat(64)}` as const, size: 2 };

interface World {
  store: MemoryEventStore;
  clock: { now: number };
  control: ScheduleControl;
  scheduler: (owner?: string) => Scheduler;
  /** Run ids in the order they were started, with their schedule tick. */
  started: { runId: string; schedule: ScheduledBy }[];
  cancelled: string[];
  finish(runId: string): Promise<void>;
}

function world(start = Date.parse('2025-01-01T00:00:00Z')): World {
  const store = new MemoryEventStore();
  const clock = { now: start };
  const started: World['started'] = [];
  const cancelled: string[] = [];
  const append = async (runId: string, type: string, data: object) => {
    const last = (await store.getRun(runId))?.lastSeq ?? 0;
    await store.append(runId, 'ir', last, [{ type, at: clock.now, data } as never]);
  };
  const ops: ScheduleRunOperations = {
    registeredWorkflow: async (ref) => {
      if (ref !== 'report' && ref !== 'report@1') {
        throw new AobError('WORKFLOW_NOT_FOUND', `no registered workflow named ${ref}`);
      }
      return structuredClone(definition) as never;
    },
    start: async (_def, _inputs, opts = {}) => {
      if (await store.getRun(opts.runId!)) throw new AobError('RUN_EXISTS', 'exists');
      // As the orchestrator: a start that loses the append to another finds the run started.
      await store
        .append(opts.runId!, 'ir', 0, [
          {
            type: 'RunStarted',
            at: clock.now,
            data: {
              workflow: { name: 'report', version: '1' },
              inputs: casRef,
              schedule: opts.schedule,
            },
          } as never,
        ])
        .catch((err: AobError) => {
          throw err.code === 'SEQ_CONFLICT' ? new AobError('RUN_EXISTS', 'started meanwhile') : err;
        });
      started.push({ runId: opts.runId!, schedule: opts.schedule! });
      return opts.runId!;
    },
    cancel: async (runId) => {
      cancelled.push(runId);
      await append(runId, 'RunCancelled', { reason: 'overlap' });
    },
  };
  const control = new ScheduleControl({
    store,
    control: ops,
    now: () => clock.now,
  });
  return {
    store,
    clock,
    control,
    started,
    cancelled,
    scheduler: (owner = 'one') =>
      new Scheduler({
        store,
        schedules: control,
        cancel: (runId, reason, by) => ops.cancel(runId, reason, by),
        owner,
        now: () => clock.now,
        onError: (err) => {
          throw err;
        },
      }),
    finish: (runId) => append(runId, 'RunCompleted', { output: casRef }),
  };
}

const by = { namespace: 'acme', by: 'ada' };
const secs = (w: World) =>
  w.started.map((s) => (s.schedule.tick - w.started[0]!.schedule.tick) / 1000);

describe('Scheduler', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });

  it('allow: a run for every tick, whatever is still going; each run records its schedule and tick', async () => {
    const s = await w.control.create(
      { workflow: 'report', inputs: { team: 'a' }, every: '1s', overlap: 'allow' },
      by,
    );
    const sch = w.scheduler();
    for (let i = 0; i < 3; i++) {
      await sch.poll();
      w.clock.now += 1_000;
    }
    expect(secs(w)).toEqual([0, 1, 2]);
    expect(w.started[0]!.schedule).toEqual({
      scheduleId: s.scheduleId,
      tick: w.clock.now - 3_000,
      reason: 'tick',
    });
    const view = await w.control.get(s.scheduleId, 'acme');
    expect(view.counts).toEqual({ started: 3, skipped: 0, missed: 0, failed: 0 });
    expect(view.lastRunId).toBe(w.started[2]!.runId);
  });

  it('skip: a tick that comes while the run before is going starts nothing', async () => {
    const s = await w.control.create(
      { workflow: 'report', inputs: { team: 'a' }, every: '1s', overlap: 'skip' },
      by,
    );
    const sch = w.scheduler();
    await sch.poll(); // tick 0 starts
    w.clock.now += 1_000;
    await sch.poll(); // tick 1: run 0 still going → skipped
    await w.finish(w.started[0]!.runId);
    w.clock.now += 1_000;
    await sch.poll(); // tick 2 starts
    expect(secs(w)).toEqual([0, 2]);
    expect((await w.control.get(s.scheduleId, 'acme')).counts).toMatchObject({
      started: 2,
      skipped: 1,
    });
  });

  it('buffer_one: one tick waits for the run before it, later ones are dropped', async () => {
    const s = await w.control.create(
      { workflow: 'report', inputs: { team: 'a' }, every: '1s', overlap: 'buffer_one' },
      by,
    );
    const sch = w.scheduler();
    await sch.poll(); // tick 0 starts
    w.clock.now += 1_000;
    await sch.poll(); // tick 1 buffered
    w.clock.now += 1_000;
    await sch.poll(); // tick 2 dropped (one is buffered already)
    expect((await w.control.get(s.scheduleId, 'acme')).bufferedTickAt).toBe(
      w.started[0]!.schedule.tick + 1_000,
    );
    await w.finish(w.started[0]!.runId);
    w.clock.now += 500;
    await sch.poll(); // run 0 over: tick 1 starts (late, under its own id)
    expect(secs(w)).toEqual([0, 1]);
    const view = await w.control.get(s.scheduleId, 'acme');
    expect(view.bufferedTickAt).toBeUndefined();
    expect(view.counts).toMatchObject({ started: 2, skipped: 1 });
  });

  it('cancel_previous: a tick cancels the run still going and starts its own', async () => {
    await w.control.create(
      { workflow: 'report', inputs: { team: 'a' }, every: '1s', overlap: 'cancel_previous' },
      by,
    );
    const sch = w.scheduler();
    await sch.poll();
    w.clock.now += 1_000;
    await sch.poll();
    expect(secs(w)).toEqual([0, 1]);
    expect(w.cancelled).toEqual([w.started[0]!.runId]);
    expect((await w.store.getRun(w.started[0]!.runId))?.status).toBe('cancelled');
  });

  it('catches up the ticks missed while no scheduler ran, inside the window only', async () => {
    const s = await w.control.create(
      {
        workflow: 'report',
        inputs: { team: 'a' },
        every: '1m',
        overlap: 'allow',
        catchupWindow: '3m',
      },
      by,
    );
    w.clock.now += 10 * 60_000; // down ten minutes: ticks 0..10, the window keeps the last 3 minutes
    await w.scheduler().poll();
    expect(secs(w)).toEqual([0, 60, 120, 180]); // minutes 7, 8, 9, 10
    const view = await w.control.get(s.scheduleId, 'acme');
    expect(view.counts).toEqual({ started: 4, skipped: 0, missed: 7, failed: 0 });
    expect(view.nextTickAt).toBe(w.clock.now + 60_000);
  });

  it('a pass that dies before saving: the next starts the same ticks again, and none twice', async () => {
    const s = await w.control.create(
      { workflow: 'report', inputs: { team: 'a' }, every: '1s', overlap: 'allow' },
      by,
    );
    const before = (await w.store.getSchedule(s.scheduleId))!;
    w.clock.now += 2_000;
    // A pass whose save is lost (the process was killed after starting the runs).
    const lost = w.scheduler();
    const update = w.store.updateSchedule;
    w.store.updateSchedule = async () => false;
    await lost.pass(structuredClone(before), w.clock.now);
    w.store.updateSchedule = update;
    expect(w.started).toHaveLength(3);
    await w.scheduler('two').pass(before, w.clock.now);
    expect(w.started).toHaveLength(3);
    const view = await w.control.get(s.scheduleId, 'acme');
    expect(view.counts.started).toBe(3);
    expect(view.nextTickAt).toBe(w.clock.now + 1_000);
  });

  it('two schedulers passing over one schedule at once start each tick once', async () => {
    const s = await w.control.create(
      { workflow: 'report', inputs: { team: 'a' }, every: '1s', overlap: 'allow' },
      by,
    );
    const record = (await w.store.getSchedule(s.scheduleId)) as ScheduleRecord;
    w.clock.now += 5_000;
    const saved = await Promise.all([
      w.scheduler('one').pass(structuredClone(record), w.clock.now),
      w.scheduler('two').pass(structuredClone(record), w.clock.now),
    ]);
    expect(saved.filter(Boolean)).toHaveLength(1);
    expect(new Set(w.started.map((r) => r.runId)).size).toBe(6);
    expect(w.started).toHaveLength(6);
  });

  it('pause stops ticks; resume goes on from now, not with the paused ticks', async () => {
    const s = await w.control.create(
      { workflow: 'report', inputs: { team: 'a' }, every: '1s', overlap: 'allow' },
      by,
    );
    const paused = await w.control.pause(s.scheduleId, 'acme', 'quarter close');
    expect(paused).toMatchObject({ paused: true, note: 'quarter close' });
    w.clock.now += 5_000;
    await w.scheduler().poll();
    expect(w.started).toHaveLength(0);
    const resumed = await w.control.resume(s.scheduleId, 'acme');
    expect(resumed.paused).toBe(false);
    expect(resumed.note).toBeUndefined();
    expect(resumed.nextTickAt).toBe(w.clock.now);
    await w.scheduler().poll();
    expect(w.started.map((r) => r.schedule.tick)).toEqual([w.clock.now]);
  });

  it('counts a tick whose pass lost its save to a pause, and stays paused', async () => {
    const s = await w.control.create(
      { workflow: 'report', inputs: { team: 'a' }, every: '1s', overlap: 'allow' },
      by,
    );
    // The pass read the record, then a person paused it while the tick's run was starting.
    const before = (await w.store.getSchedule(s.scheduleId))!;
    await w.control.pause(s.scheduleId, 'acme', 'end of quarter');
    expect(await w.scheduler().pass(before, w.clock.now)).toBe(true);
    expect(w.started).toHaveLength(1);
    const view = await w.control.get(s.scheduleId, 'acme');
    expect(view).toMatchObject({ paused: true, note: 'end of quarter' });
    expect(view.counts.started).toBe(1);
    expect(view.lastRunId).toBe(w.started[0]!.runId);
    expect(view.nextTickAt).toBe(w.clock.now + 1_000);
  });

  it('leaves a lost save alone when another pass moved the cursor: a tick is counted once', async () => {
    const s = await w.control.create(
      { workflow: 'report', inputs: { team: 'a' }, every: '1s', overlap: 'allow' },
      by,
    );
    const before = (await w.store.getSchedule(s.scheduleId))!;
    expect(await w.scheduler('two').pass(before, w.clock.now)).toBe(true);
    expect(await w.scheduler('one').pass(before, w.clock.now)).toBe(false);
    expect(w.started).toHaveLength(1);
    expect((await w.control.get(s.scheduleId, 'acme')).counts.started).toBe(1);
  });

  it('trigger starts a run now under its own id; backfill starts past ticks once', async () => {
    const s = await w.control.create(
      { workflow: 'report', inputs: { team: 'a' }, every: '1m', overlap: 'skip' },
      by,
    );
    const now = await w.control.trigger(s.scheduleId, 'acme', 'ada');
    expect(now).toMatchObject({ tick: w.clock.now, started: true });
    expect(w.started[0]!.schedule.reason).toBe('trigger');
    const from = new Date(w.clock.now - 5 * 60_000).toISOString();
    const to = new Date(w.clock.now - 2 * 60_000).toISOString();
    const first = await w.control.backfill(s.scheduleId, 'acme', { from, to }, 'ada');
    expect(first.map((r) => r.started)).toEqual([true, true, true]);
    const again = await w.control.backfill(s.scheduleId, 'acme', { from, to }, 'ada');
    expect(again.map((r) => r.started)).toEqual([false, false, false]);
    expect(w.started).toHaveLength(4);
    await expect(
      w.control.backfill(
        s.scheduleId,
        'acme',
        { from: to, to: new Date(w.clock.now + 1).toISOString() },
        'ada',
      ),
    ).rejects.toThrow(/future/);
  });

  it('a bad request names every problem and stores nothing; another namespace sees nothing', async () => {
    const err = await w.control
      .create(
        {
          workflow: 'nope',
          inputs: {},
          cron: 'every day',
          timezone: 'Nowhere/Land',
          overlap: 'whenever' as never,
        },
        by,
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => p.code)).toEqual([
      'BAD_TIMEZONE',
      'BAD_CRON',
      'BAD_OVERLAP',
      'UNKNOWN_WORKFLOW',
    ]);
    const inputs = await w.control
      .create({ workflow: 'report', inputs: {}, every: '1m' }, by)
      .catch((e: unknown) => e);
    expect((inputs as ValidationError).problems[0]!.path).toMatch(/^\/inputs/);
    expect(await w.control.list('acme')).toEqual([]);
    const s = await w.control.create(
      { workflow: 'report@1', inputs: { team: 'a' }, every: '1m' },
      by,
    );
    await expect(w.control.get(s.scheduleId, 'globex')).rejects.toMatchObject({
      code: 'SCHEDULE_NOT_FOUND',
    });
    await w.control.delete(s.scheduleId, 'acme');
    await expect(w.control.get(s.scheduleId, 'acme')).rejects.toMatchObject({
      code: 'SCHEDULE_NOT_FOUND',
    });
  });
});
