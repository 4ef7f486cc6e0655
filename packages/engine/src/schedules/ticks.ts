// When a schedule ticks, and what a tick's run is called. Pure functions of the schedule: every
// scheduler (aob dev, aob scheduler, each orchestrator replica) computes the same ticks, the same
// jitter and the same run ids, which is what makes a tick start at most one run.
//
// Cron expressions are croner's (11.x): 5 fields, or 6 with seconds, or 7 with years, read in the
// schedule's IANA time zone (UTC without one). Across daylight-saving changes croner follows Vixie
// cron, as its README documents: a fixed-time job (one value in each of seconds, minutes, hours,
// e.g. `30 2 * * *`) whose time is skipped at spring-forward runs at the first valid time after
// the gap that day, and runs once, at the first occurrence, when the time repeats at fall-back;
// an interval job (`*/15 * * * *`, `0 30 1,2 * * *`) skips the missing times and runs at both
// occurrences of repeated ones. nextRun moves in real time, never returning a time it passed.
import { createHash } from 'node:crypto';
import { Cron } from 'croner';
import type { ScheduleSpec } from '@aob/store';

/** Parsed cron expressions by `timezone \0 expression` (a schedule's ticks reuse one). */
const crons = new Map<string, Cron>();
const MAX_CACHED_CRONS = 1_000;

function cronOf(expr: string, timezone: string | undefined): Cron {
  const key = `${timezone ?? ''}\0${expr}`;
  let cron = crons.get(key);
  if (!cron) {
    if (crons.size >= MAX_CACHED_CRONS) crons.clear();
    cron = new Cron(expr, { paused: true, ...(timezone ? { timezone } : {}) });
    crons.set(key, cron);
  }
  return cron;
}

/** The schedule's own ticks, ignoring `startAt`/`endAt`: the first strictly after `after`. */
function rawNextTick(spec: ScheduleSpec, after: number): number | undefined {
  if (spec.everyMs !== undefined) {
    const anchor = spec.startAt ?? 0;
    const k = Math.max(0, Math.floor((after - anchor) / spec.everyMs) + 1);
    return anchor + k * spec.everyMs;
  }
  if (spec.at !== undefined) return spec.at.find((t) => t > after);
  if (spec.cron !== undefined) {
    const next = cronOf(spec.cron, spec.timezone).nextRun(new Date(after));
    return next === null ? undefined : next.getTime();
  }
  return undefined;
}

/** The first tick strictly after `after` within [startAt, endAt); undefined when none is left. */
export function nextTick(spec: ScheduleSpec, after: number): number | undefined {
  const from = spec.startAt !== undefined ? Math.max(after, spec.startAt - 1) : after;
  const tick = rawNextTick(spec, from);
  if (tick === undefined) return undefined;
  if (spec.endAt !== undefined && tick >= spec.endAt) return undefined;
  return tick;
}

/** The ticks in [from, to) of the schedule's own rhythm (startAt/endAt ignored), at most `limit`. */
export function ticksBetween(
  spec: ScheduleSpec,
  from: number,
  to: number,
  limit: number,
): number[] {
  const out: number[] = [];
  for (let t = rawNextTick(spec, from - 1); t !== undefined && t < to; t = rawNextTick(spec, t)) {
    if (out.length >= limit) break;
    out.push(t);
  }
  return out;
}

/**
 * How long after `tick` its run starts: a fixed fraction of `jitterMs` drawn from a hash of the
 * schedule and the tick, so every scheduler waits the same and a restart does not move it.
 */
export function jitterOf(scheduleId: string, tick: number, jitterMs: number | undefined): number {
  if (!jitterMs) return 0;
  const digest = createHash('sha256').update(`${scheduleId}\0${tick}`).digest();
  return digest.readUInt32BE(0) % (jitterMs + 1);
}

/**
 * The run id of a schedule's tick: the schedule and the tick's time, so a tick has one run
 * whoever starts it. A trigger by hand is a tick of its own (`m`), never the schedule's.
 */
export function scheduledRunId(
  scheduleId: string,
  tick: number,
  reason: 'tick' | 'trigger' | 'backfill',
): string {
  return `run_${scheduleId}_${reason === 'trigger' ? 'm' : 't'}${tick.toString(36)}`;
}
