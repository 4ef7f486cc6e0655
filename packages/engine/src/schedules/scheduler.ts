// The scheduler (ARCHITECTURE §7, schedules): a poll loop over the ScheduleStore that starts the
// runs of due ticks. It runs inside `aob dev` and `aob scheduler` locally and inside every
// orchestrator replica in the cluster; any number may run against one store.
//
// Exactly once per tick. A tick's run id is derived from (schedule, tick) (ticks.ts), and a run
// id starts one run (ScheduleControl.startTick). A pass starts the runs of the due ticks first
// and only then moves the schedule's cursor (`nextTickAt`), by compare-and-set on its revision:
//   - a scheduler killed between the two leaves the cursor where it was; whoever passes next
//     (itself restarted, or another) starts the same ticks again — the same run ids, so they are
//     found started and not started twice;
//   - two schedulers passing at once (a claim that ran out) start the same run ids; the second
//     compare-and-set fails and its pass is dropped, the runs it "started" being the first's;
//   - a tick is passed over only once its run is found in the log (or handed to the
//     orchestrators), skipped by the overlap policy, or older than the catch-up window when a
//     scheduler first sees it — so none is lost inside the window.
// Claims (a lease per schedule) only keep replicas from doing the same work; correctness never
// depends on them.
import type { ScheduleRecord, ScheduleStore, RunLogStore } from '@aob/store';
import type { AobError, RunStatus } from '@aob/core';
import { advanceTo } from './schedule-control.js';
import type { ScheduleControl } from './schedule-control.js';
import { nextTick } from './ticks.js';

/** The most ticks one pass over a schedule starts (a long catch-up goes on at the next poll). */
export const MAX_TICKS_PER_PASS = 100;
/** Missed ticks are counted one by one up to this many (an interval's are counted exactly). */
const MAX_COUNTED_MISSES = 10_000;
const ACTIVE: ReadonlySet<RunStatus> = new Set(['running', 'waiting']);

export interface SchedulerOptions {
  store: ScheduleStore & Pick<RunLogStore, 'getRun'>;
  schedules: ScheduleControl;
  /** Cancels the previous run (overlap `cancel_previous`). */
  cancel: (runId: string, reason: string, by: string) => Promise<void>;
  /** Who claims (unique per process). */
  owner: string;
  now?: () => number;
  /** Default 250 ms. */
  pollMs?: number;
  /** How long a claim keeps other schedulers off a schedule. Default 5 s. */
  leaseMs?: number;
  /** Schedules claimed per poll. Default 50. */
  batch?: number;
  onError?: (err: unknown) => void;
  /** Told of every run a pass started (tests, logs). */
  onStarted?: (scheduleId: string, tick: number, runId: string) => void;
}

export class Scheduler {
  private handle: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: SchedulerOptions) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    this.handle = setInterval(() => {
      this.busy ??= this.poll().finally(() => (this.busy = undefined));
    }, this.opts.pollMs ?? 250);
    this.handle.unref();
  }

  async stop(): Promise<void> {
    if (this.handle) clearInterval(this.handle);
    this.handle = undefined;
    await this.busy;
  }

  /** One poll: claims the due schedules and passes over each. */
  async poll(): Promise<void> {
    try {
      const now = this.now();
      const due = await this.opts.store.claimDueSchedules(
        now,
        this.opts.owner,
        this.opts.leaseMs ?? 5_000,
        this.opts.batch ?? 50,
      );
      for (const record of due) {
        try {
          await this.pass(record, this.now());
        } catch (err) {
          this.opts.onError?.(err);
        }
      }
    } catch (err) {
      this.opts.onError?.(err);
    }
  }

  /**
   * Starts what is due of one schedule (its buffered tick, then its due ticks by the overlap
   * policy) and saves where it got to. Returns whether the save landed (false: someone changed
   * the schedule meanwhile; what was started stays started and the next pass sees it).
   */
  async pass(record: ScheduleRecord, now: number): Promise<boolean> {
    const r = structuredClone(record);
    const active = new ActiveRun(this.opts.store, r.lastRunId);
    let left = MAX_TICKS_PER_PASS;
    try {
      if (r.bufferedTickAt !== undefined && !(await active.running())) {
        const tick = r.bufferedTickAt;
        delete r.bufferedTickAt;
        await this.startTick(r, tick, active);
        left--;
      }
      while (r.nextTickAt !== undefined && r.nextDueAt! <= now && left > 0) {
        const tick = r.nextTickAt;
        if (tick < now - r.catchupWindowMs) {
          this.skipMissed(r, now);
          continue;
        }
        await this.decide(r, tick, active);
        advanceTo(r, tick);
        left--;
      }
    } catch (err) {
      // Saved below as far as it got; the tick that threw stays due and is tried at the next poll.
      this.opts.onError?.(err);
    }
    if (JSON.stringify(r) === JSON.stringify(record)) return true;
    r.revision = record.revision + 1;
    r.updatedAt = now;
    if (await this.opts.store.updateSchedule(r, record.revision)) return true;
    // Changed meanwhile. A person pausing it or writing a note leaves the cursor where this pass
    // found it: what this pass did is then put on top of their change, or a tick it started would
    // never be counted (a paused schedule has no next pass to find it).
    for (let tries = 0; tries < MAX_REBASES; tries++) {
      const fresh = await this.opts.store.getSchedule(record.scheduleId);
      if (!fresh) return false;
      const rebased = rebasePass(fresh, record, r, now);
      if (!rebased) return false; // another pass or an edit moved the cursor: theirs stands
      if (await this.opts.store.updateSchedule(rebased, fresh.revision)) return true;
    }
    return false;
  }

  /** One due tick, by the overlap policy. */
  private async decide(r: ScheduleRecord, tick: number, active: ActiveRun): Promise<void> {
    // Started before (a pass that died before saving, another scheduler): it stays started,
    // whatever the policy would say now.
    const found = await this.opts.schedules.startedRunOf(r, tick);
    if (found) {
      active.set(found, undefined);
      this.started(r, tick, found, false);
      return;
    }
    if (r.overlap !== 'allow' && (await active.running())) {
      if (r.overlap === 'skip') {
        r.counts.skipped++;
        return;
      }
      if (r.overlap === 'buffer_one') {
        if (r.bufferedTickAt === undefined) r.bufferedTickAt = tick;
        else r.counts.skipped++;
        return;
      }
      // cancel_previous: the run before is asked to stop; this tick's starts at once.
      await this.opts
        .cancel(
          active.runId!,
          `schedule ${r.scheduleId}: the tick of ${new Date(tick).toISOString()} replaces it`,
          `schedule:${r.scheduleId}`,
        )
        .catch((err: unknown) => {
          if ((err as AobError).code !== 'RUN_OVER') throw err;
        });
    }
    await this.startTick(r, tick, active);
  }

  private async startTick(r: ScheduleRecord, tick: number, active: ActiveRun): Promise<void> {
    const start = await this.opts.schedules.startTick(r, tick, 'tick');
    if (start.outcome === 'failed') {
      r.counts.failed++;
      r.lastError = {
        tick,
        at: this.now(),
        code: start.error.code ?? 'INTERNAL',
        message: start.error.message,
      };
      return;
    }
    active.set(start.runId, start.outcome === 'started' ? true : undefined);
    this.started(r, tick, start.runId, start.outcome === 'started');
  }

  private started(r: ScheduleRecord, tick: number, runId: string, here: boolean): void {
    if (r.lastTickAt === undefined || tick >= r.lastTickAt) {
      r.lastTickAt = tick;
      r.lastRunId = runId;
    }
    r.counts.started++;
    if (here) this.opts.onStarted?.(r.scheduleId, tick, runId);
  }

  /** Moves the cursor past the ticks older than the catch-up window, counting them as missed. */
  private skipMissed(r: ScheduleRecord, now: number): void {
    const oldest = now - r.catchupWindowMs;
    const from = r.nextTickAt!;
    if (r.spec.everyMs !== undefined) {
      r.counts.missed += Math.ceil((oldest - from) / r.spec.everyMs);
    } else {
      let n = 0;
      for (
        let t: number | undefined = from;
        t !== undefined && t < oldest && n < MAX_COUNTED_MISSES;
        t = nextTick(r.spec, t)
      )
        n++;
      r.counts.missed += n;
    }
    advanceTo(r, oldest - 1);
  }
}

/** The run of the schedule's newest started tick, and whether it is still going (read once). */
class ActiveRun {
  private known: boolean | undefined;

  constructor(
    private readonly store: Pick<RunLogStore, 'getRun'>,
    public runId: string | undefined,
  ) {}

  /** A run just started is going; one not found (never started, or not yet: pending) is not. */
  async running(): Promise<boolean> {
    if (this.known !== undefined) return this.known;
    if (this.runId === undefined) return (this.known = false);
    const summary = await this.store.getRun(this.runId);
    return (this.known = summary !== undefined && ACTIVE.has(summary.status));
  }

  /** The newest tick's run: `running` if known (just started), else read when asked. */
  set(runId: string, running: boolean | undefined): void {
    this.runId = runId;
    this.known = running;
  }
}

/** How often a pass's save is put on top of someone else's change before it gives up. */
const MAX_REBASES = 3;

/**
 * `passed` (what a pass made of `before`) put on top of `fresh` (the record as someone else left
 * it since): its cursor, last tick and error, and what it added to the counts. Undefined when the
 * cursor moved under it (another scheduler's pass, a resume or an edit), whose view then stands.
 */
export function rebasePass(
  fresh: ScheduleRecord,
  before: ScheduleRecord,
  passed: ScheduleRecord,
  now: number,
): ScheduleRecord | undefined {
  const cursor = (r: ScheduleRecord) => [r.nextTickAt, r.nextDueAt, r.bufferedTickAt];
  if (JSON.stringify(cursor(fresh)) !== JSON.stringify(cursor(before))) return undefined;
  const out = structuredClone(fresh);
  for (const key of [
    'nextTickAt',
    'nextDueAt',
    'bufferedTickAt',
    'lastTickAt',
    'lastRunId',
    'lastError',
  ] as const) {
    if (passed[key] === undefined) delete out[key];
    else (out as unknown as Record<string, unknown>)[key] = structuredClone(passed[key]);
  }
  for (const k of Object.keys(out.counts) as (keyof ScheduleRecord['counts'])[]) {
    out.counts[k] += passed.counts[k] - before.counts[k];
  }
  out.revision = fresh.revision + 1;
  out.updatedAt = now;
  return out;
}
