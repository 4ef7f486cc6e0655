// Schedules (issue 19; ARCHITECTURE §7): the operations people and programs call — create, list,
// show, pause, resume, trigger, backfill, delete — over the ScheduleStore and the run operations.
// The Scheduler (scheduler.ts) is what starts the ticks' runs as they come; this file only
// changes what it reads. Every write is a compare-and-set on the schedule's revision, so a person
// pausing a schedule and a scheduler advancing it never overwrite each other.
import { AobError, ValidationError, compileCached } from '@aob/core';
import type { Problem, ScheduledBy, WorkflowDefinition } from '@aob/core';
import type { CreateScheduleRequest, ScheduledRunView, ScheduleView } from '@aob/client';
import type { RunLogStore, ScheduleRecord, ScheduleStore } from '@aob/store';
import { newId as defaultNewId } from '../app/ids.js';
import type { RunControl } from '../app/run-control.js';
import { parseTime, readScheduleRequest } from './spec.js';
import { jitterOf, nextTick, scheduledRunId, ticksBetween } from './ticks.js';

/** The most ticks one backfill starts. */
export const MAX_BACKFILL_TICKS = 1_000;
/** How often a write that lost its compare-and-set is tried again on the newer record. */
const WRITE_ATTEMPTS = 10;

export type { CreateScheduleRequest, ScheduledRunView, ScheduleView } from '@aob/client';

/** What schedules need of the run operations. */
export type ScheduleRunOperations = Pick<RunControl, 'registeredWorkflow' | 'start' | 'cancel'>;

export interface ScheduleControlDeps {
  store: ScheduleStore & Pick<RunLogStore, 'getRun'>;
  control: ScheduleRunOperations;
  now?: () => number;
  /** Default `sch_…`. */
  newId?: () => string;
}

/** What starting one tick's run came to. */
export type TickStart =
  | { outcome: 'started' | 'exists'; runId: string }
  /** The run cannot start (the workflow or inputs no longer fit): a failed tick. */
  | { outcome: 'failed'; runId: string; error: AobError };

export function viewOfSchedule(r: ScheduleRecord): ScheduleView {
  const { spec } = r;
  return {
    scheduleId: r.scheduleId,
    namespace: r.namespace,
    workflow: r.workflow,
    inputs: r.inputs,
    ...(spec.cron !== undefined ? { cron: spec.cron } : {}),
    ...(spec.timezone !== undefined ? { timezone: spec.timezone } : {}),
    ...(spec.everyMs !== undefined ? { everyMs: spec.everyMs } : {}),
    ...(spec.at !== undefined ? { at: [...spec.at] } : {}),
    ...(spec.jitterMs !== undefined ? { jitterMs: spec.jitterMs } : {}),
    ...(spec.startAt !== undefined ? { startAt: spec.startAt } : {}),
    ...(spec.endAt !== undefined ? { endAt: spec.endAt } : {}),
    overlap: r.overlap,
    catchupWindowMs: r.catchupWindowMs,
    paused: r.paused,
    ...(r.note !== undefined ? { note: r.note } : {}),
    ...(r.nextTickAt !== undefined ? { nextTickAt: r.nextTickAt } : {}),
    ...(r.nextDueAt !== undefined ? { nextRunAt: r.nextDueAt } : {}),
    ...(r.bufferedTickAt !== undefined ? { bufferedTickAt: r.bufferedTickAt } : {}),
    ...(r.lastTickAt !== undefined ? { lastTickAt: r.lastTickAt } : {}),
    ...(r.lastRunId !== undefined ? { lastRunId: r.lastRunId } : {}),
    counts: { ...r.counts },
    ...(r.lastError !== undefined ? { lastError: { ...r.lastError } } : {}),
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** Sets the record's next tick (the first after `after`) and when its run is due. */
export function advanceTo(r: ScheduleRecord, after: number): void {
  const tick = nextTick(r.spec, after);
  if (tick === undefined) {
    delete r.nextTickAt;
    delete r.nextDueAt;
  } else {
    r.nextTickAt = tick;
    r.nextDueAt = tick + jitterOf(r.scheduleId, tick, r.spec.jitterMs);
  }
}

/** Errors of a start that mean the tick's run cannot start, whatever is tried again. */
const FAILED_TICK = new Set(['VALIDATION', 'WORKFLOW_NOT_FOUND', 'BAD_BUDGET']);

export class ScheduleControl {
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(private readonly deps: ScheduleControlDeps) {
    this.now = deps.now ?? Date.now;
    this.newId = deps.newId ?? (() => defaultNewId('schedule'));
  }

  /**
   * Creates a schedule, checked whole: the timing (cron and its time zone, interval, times,
   * jitter, start and end), the overlap policy, the workflow (registered) and the inputs (against
   * the workflow's, now). Every problem is named and nothing is stored when there is one.
   */
  async create(
    req: CreateScheduleRequest,
    opts: { namespace: string; by: string },
  ): Promise<ScheduleView> {
    const now = this.now();
    const read = readScheduleRequest(req, nextTick, now);
    const problems: Problem[] = [...read.problems];
    if (typeof req?.workflow === 'string' && req.workflow.trim() !== '') {
      problems.push(...(await this.workflowProblems(req.workflow, req.inputs ?? {})));
    }
    if (problems.length > 0 || !read.settings) throw new ValidationError(problems, 'schedule');
    const record: ScheduleRecord = {
      scheduleId: this.newId(),
      namespace: opts.namespace,
      workflow: req.workflow,
      inputs: req.inputs ?? {},
      spec: read.settings.spec,
      overlap: read.settings.overlap,
      catchupWindowMs: read.settings.catchupWindowMs,
      paused: req.paused ?? false,
      ...(req.note !== undefined ? { note: req.note } : {}),
      counts: { started: 0, skipped: 0, missed: 0, failed: 0 },
      createdBy: opts.by,
      createdAt: now,
      updatedAt: now,
      revision: 0,
    };
    // The first tick is the first at or after now: ticks before the schedule existed are a
    // backfill's to start, never a catch-up's.
    advanceTo(record, now - 1);
    if (!(await this.deps.store.createSchedule(record))) {
      throw new AobError('SCHEDULE_EXISTS', `a schedule ${record.scheduleId} exists already`);
    }
    return viewOfSchedule(record);
  }

  async list(
    namespace: string,
    page: { offset?: number; limit?: number } = {},
  ): Promise<ScheduleView[]> {
    return (await this.deps.store.listSchedules(namespace, page)).map(viewOfSchedule);
  }

  async get(scheduleId: string, namespace: string): Promise<ScheduleView> {
    return viewOfSchedule(await this.record(scheduleId, namespace));
  }

  /** Stops starting ticks until resumed (ticks that come meanwhile are not started later). */
  async pause(scheduleId: string, namespace: string, note?: string): Promise<ScheduleView> {
    return this.change(scheduleId, namespace, (r) => {
      r.paused = true;
      if (note !== undefined) r.note = note;
      else delete r.note;
    });
  }

  /**
   * Starts ticking again from now on: the ticks that came while it was paused were paused too
   * (not missed), so none of them is started; a buffered one is dropped.
   */
  async resume(scheduleId: string, namespace: string, note?: string): Promise<ScheduleView> {
    return this.change(scheduleId, namespace, (r, now) => {
      if (!r.paused) return;
      r.paused = false;
      if (note !== undefined) r.note = note;
      else delete r.note;
      delete r.bufferedTickAt;
      advanceTo(r, now - 1);
    });
  }

  /**
   * Starts a run now, outside the schedule's rhythm and whatever its overlap policy (a person
   * asked for it). Its tick is this moment, marked `trigger`, with a run id of its own.
   */
  async trigger(scheduleId: string, namespace: string, by: string): Promise<ScheduledRunView> {
    const record = await this.record(scheduleId, namespace);
    const tick = this.now();
    const start = await this.startTick(record, tick, 'trigger', by);
    if (start.outcome === 'failed') throw start.error;
    await this.change(scheduleId, namespace, (r) => {
      r.lastRunId = start.runId;
      if (start.outcome === 'started') r.counts.started++;
    }).catch(() => undefined); // the run is started; the counter is a courtesy
    return { runId: start.runId, tick, started: start.outcome === 'started' };
  }

  /**
   * Starts the schedule's ticks in [from, to) — both in the past —, each with the run id its
   * tick always has: a tick whose run was started (on time, or by an earlier backfill) is not
   * started again. The overlap policy does not apply: a backfill asks for every run. Ticks are
   * the schedule's rhythm, its start and end dates aside; at most MAX_BACKFILL_TICKS.
   */
  async backfill(
    scheduleId: string,
    namespace: string,
    range: { from: string; to: string },
    by: string,
  ): Promise<ScheduledRunView[]> {
    const record = await this.record(scheduleId, namespace);
    const now = this.now();
    const problems: Problem[] = [];
    const from = parseTime(range?.from);
    const to = parseTime(range?.to);
    const notTime = (path: string, v: unknown): Problem => ({
      code: 'BAD_TIME',
      path,
      message: `${JSON.stringify(v)} is not an ISO 8601 date-time with a zone`,
    });
    if (from === undefined) problems.push(notTime('/from', range?.from));
    if (to === undefined) problems.push(notTime('/to', range?.to));
    if (from !== undefined && to !== undefined) {
      if (to <= from) {
        problems.push({ code: 'CONFLICTING_OPTIONS', path: '/to', message: 'must be after from' });
      }
      if (to > now) {
        problems.push({
          code: 'BAD_TIME',
          path: '/to',
          message: 'is in the future: a backfill starts past ticks only',
        });
      }
    }
    const ticks =
      problems.length === 0 ? ticksBetween(record.spec, from!, to!, MAX_BACKFILL_TICKS + 1) : [];
    if (ticks.length > MAX_BACKFILL_TICKS) {
      problems.push({
        code: 'TOO_MANY_TICKS',
        path: '',
        message: `the range holds more than ${MAX_BACKFILL_TICKS} ticks: backfill it in parts`,
      });
    }
    if (problems.length > 0) throw new ValidationError(problems, 'backfill');
    const out: ScheduledRunView[] = [];
    for (const tick of ticks) {
      const start = await this.startTick(record, tick, 'backfill', by);
      if (start.outcome === 'failed') throw start.error;
      out.push({ runId: start.runId, tick, started: start.outcome === 'started' });
    }
    return out;
  }

  async delete(scheduleId: string, namespace: string): Promise<void> {
    await this.record(scheduleId, namespace);
    if (!(await this.deps.store.deleteSchedule(scheduleId))) {
      throw new AobError('SCHEDULE_NOT_FOUND', `no schedule ${scheduleId}`);
    }
  }

  /**
   * Starts the run of one tick, or finds it started. Its id is the tick's (scheduledRunId), so
   * whoever starts a tick — this process after a crash, another scheduler, a backfill — starts
   * the same run, and the engine starts a run id once (RUN_EXISTS, or a start decided on a run
   * already started changes nothing). Errors that another try may get past (the store, a run id
   * leased by a process that died before the run existed) are thrown: the tick stays due.
   */
  /** The run id of a scheduled tick whose run is in the log already, else undefined. */
  async startedRunOf(record: ScheduleRecord, tick: number): Promise<string | undefined> {
    const runId = scheduledRunId(record.scheduleId, tick, 'tick');
    return (await this.deps.store.getRun(runId)) ? runId : undefined;
  }

  async startTick(
    record: ScheduleRecord,
    tick: number,
    reason: ScheduledBy['reason'],
    by?: string,
  ): Promise<TickStart> {
    const runId = scheduledRunId(record.scheduleId, tick, reason);
    if (await this.deps.store.getRun(runId)) return { outcome: 'exists', runId };
    let definition: WorkflowDefinition;
    try {
      definition = await this.deps.control.registeredWorkflow(record.workflow);
      await this.deps.control.start(definition, record.inputs, {
        runId,
        namespace: record.namespace,
        actor: by ?? `schedule:${record.scheduleId}`,
        schedule: { scheduleId: record.scheduleId, tick, reason },
      });
      return { outcome: 'started', runId };
    } catch (err) {
      const code = (err as AobError).code;
      if (code === 'RUN_EXISTS') return { outcome: 'exists', runId };
      // Handed to the orchestrators (cluster): the start command is on the bus and starts the
      // run once an orchestrator takes it.
      if (code === 'RUN_PENDING') return { outcome: 'started', runId };
      if (code === 'RUN_LEASED' && (await this.deps.store.getRun(runId))) {
        return { outcome: 'exists', runId };
      }
      if (code !== undefined && FAILED_TICK.has(code)) {
        return { outcome: 'failed', runId, error: err as AobError };
      }
      throw err;
    }
  }

  private async workflowProblems(ref: string, inputs: unknown): Promise<Problem[]> {
    let definition: WorkflowDefinition;
    try {
      definition = await this.deps.control.registeredWorkflow(ref);
    } catch (err) {
      if ((err as AobError).code !== 'WORKFLOW_NOT_FOUND') throw err;
      return [
        {
          code: 'UNKNOWN_WORKFLOW',
          path: '/workflow',
          message: `no registered workflow ${ref} (register it first: aob workflow register)`,
        },
      ];
    }
    return compileCached(definition)
      .checkInputs(inputs)
      .map((p) => ({ ...p, path: `/inputs${p.path}` }));
  }

  private async record(scheduleId: string, namespace: string): Promise<ScheduleRecord> {
    const record = await this.deps.store.getSchedule(scheduleId);
    if (!record || record.namespace !== namespace) {
      throw new AobError('SCHEDULE_NOT_FOUND', `no schedule ${scheduleId}`);
    }
    return record;
  }

  /** Applies `edit` on the newest record, compare-and-set, trying again when a writer got there first. */
  private async change(
    scheduleId: string,
    namespace: string,
    edit: (r: ScheduleRecord, now: number) => void,
  ): Promise<ScheduleView> {
    for (let i = 0; i < WRITE_ATTEMPTS; i++) {
      const record = await this.record(scheduleId, namespace);
      const now = this.now();
      const next = structuredClone(record);
      edit(next, now);
      next.revision = record.revision + 1;
      next.updatedAt = now;
      if (await this.deps.store.updateSchedule(next, record.revision)) return viewOfSchedule(next);
    }
    throw new AobError(
      'SCHEDULE_CONFLICT',
      `schedule ${scheduleId} kept changing under this write; try again`,
    );
  }
}
