// Reading a schedule request (CreateScheduleRequest) into what the store keeps. Every problem is
// named, each with its own code and the JSON Pointer of the field, and nothing partial comes
// back with problems: a request is taken whole or refused whole (nothing persisted).
import type { Problem } from '@aob/core';
import type { CreateScheduleRequest, ScheduleOverlap } from '@aob/client';
import type { ScheduleSpec } from '@aob/store';
import { Cron } from 'croner';
import { parseDuration } from './durations.js';

export const OVERLAP_POLICIES: readonly ScheduleOverlap[] = [
  'skip',
  'buffer_one',
  'allow',
  'cancel_previous',
];
/** Ticks missed while no scheduler ran are started when at most this old, unless told. */
export const DEFAULT_CATCHUP_WINDOW_MS = 3_600_000;
/** The shortest interval: a scheduler polls about every 250 ms, and ids are per millisecond. */
export const MIN_EVERY_MS = 1_000;
/** At most this many `at` times per schedule. */
export const MAX_AT_TIMES = 1_000;
const MAX_CRON_LENGTH = 256;

export interface ScheduleSettings {
  spec: ScheduleSpec;
  overlap: ScheduleOverlap;
  catchupWindowMs: number;
}

const KNOWN_FIELDS = new Set([
  'workflow',
  'inputs',
  'cron',
  'timezone',
  'every',
  'at',
  'jitter',
  'start',
  'end',
  'overlap',
  'catchupWindow',
  'paused',
  'note',
]);

const problem = (code: string, path: string, message: string): Problem => ({
  code,
  path,
  message,
});

/** Whether the runtime knows the IANA time zone (`Intl` throws a RangeError for one it does not). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** An ISO 8601 date-time with a zone (`Z` or `±hh:mm`), as epoch ms; undefined if it is not one. */
export function parseTime(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    return undefined;
  }
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The cron expression's problem, as croner words it, or undefined when croner reads it. */
export function cronProblem(expr: string, timezone?: string): string | undefined {
  try {
    const cron = new Cron(expr, { paused: true, ...(timezone ? { timezone } : {}) });
    cron.stop();
    return undefined;
  } catch (err) {
    return (err as Error).message.replace(/^CronPattern: /, '');
  }
}

function duration(
  value: unknown,
  path: string,
  problems: Problem[],
  opts: { min?: number } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' ? parseDuration(value) : undefined;
  if (ms === undefined) {
    problems.push(
      problem(
        'BAD_DURATION',
        path,
        `${JSON.stringify(value)} is not a duration such as 500ms, 30s, 5m, 1h30m or 2d`,
      ),
    );
    return undefined;
  }
  if (opts.min !== undefined && ms < opts.min) {
    problems.push(problem('BAD_DURATION', path, `must be at least ${opts.min} ms, not ${ms} ms`));
    return undefined;
  }
  return ms;
}

function time(value: unknown, path: string, problems: Problem[]): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseTime(value);
  if (ms === undefined) {
    problems.push(
      problem(
        'BAD_TIME',
        path,
        `${JSON.stringify(value)} is not an ISO 8601 date-time with a zone, such as 2025-03-30T02:30:00+02:00 or 2025-03-30T00:30:00Z`,
      ),
    );
  }
  return ms;
}

/**
 * The schedule's settings from a request, or every problem with it. `now` decides whether any
 * tick is left (a schedule that could never tick is refused).
 */
export function readScheduleRequest(
  req: unknown,
  nextTick: (spec: ScheduleSpec, after: number) => number | undefined,
  now: number,
): { settings: ScheduleSettings; problems: [] } | { settings?: undefined; problems: Problem[] } {
  if (req === null || typeof req !== 'object' || Array.isArray(req)) {
    return { problems: [problem('SCHEMA', '', 'a schedule request is a JSON object')] };
  }
  const r = req as Record<string, unknown> & CreateScheduleRequest;
  const problems: Problem[] = [];
  for (const key of Object.keys(r)) {
    if (!KNOWN_FIELDS.has(key)) {
      problems.push(
        problem(
          'UNKNOWN_FIELD',
          `/${key}`,
          `unknown field (one of ${[...KNOWN_FIELDS].join(', ')})`,
        ),
      );
    }
  }
  if (typeof r.workflow !== 'string' || r.workflow.trim() === '') {
    problems.push(
      problem('SCHEMA', '/workflow', 'name a registered workflow: name or name@version'),
    );
  }
  if (r.note !== undefined && typeof r.note !== 'string') {
    problems.push(problem('SCHEMA', '/note', 'must be text'));
  }
  if (r.paused !== undefined && typeof r.paused !== 'boolean') {
    problems.push(problem('SCHEMA', '/paused', 'must be true or false'));
  }

  const kinds = (['cron', 'every', 'at'] as const).filter((k) => r[k] !== undefined);
  if (kinds.length === 0) {
    problems.push(
      problem('MISSING_OPTION', '', 'say when it ticks: one of cron (with timezone), every, at'),
    );
  } else if (kinds.length > 1) {
    for (const k of kinds.slice(1)) {
      problems.push(
        problem(
          'CONFLICTING_OPTIONS',
          `/${k}`,
          `give one of cron, every, at: not ${kinds.join(' and ')}`,
        ),
      );
    }
  }
  const spec: ScheduleSpec = {};
  if (r.timezone !== undefined) {
    if (typeof r.timezone !== 'string' || !isTimeZone(r.timezone)) {
      problems.push(
        problem(
          'BAD_TIMEZONE',
          '/timezone',
          `${JSON.stringify(r.timezone)} is not an IANA time zone this runtime knows (such as Europe/Berlin, America/New_York, UTC)`,
        ),
      );
    } else if (r.cron === undefined) {
      problems.push(
        problem('CONFLICTING_OPTIONS', '/timezone', 'a time zone is for a cron expression only'),
      );
    } else spec.timezone = r.timezone;
  }
  if (r.cron !== undefined) {
    if (typeof r.cron !== 'string' || r.cron.trim() === '' || r.cron.length > MAX_CRON_LENGTH) {
      problems.push(
        problem(
          'BAD_CRON',
          '/cron',
          `must be a cron expression of at most ${MAX_CRON_LENGTH} characters`,
        ),
      );
    } else {
      const why = cronProblem(r.cron.trim());
      if (why !== undefined)
        problems.push(problem('BAD_CRON', '/cron', `${JSON.stringify(r.cron)}: ${why}`));
      else spec.cron = r.cron.trim();
    }
  }
  const every = duration(r.every, '/every', problems, { min: MIN_EVERY_MS });
  if (every !== undefined) spec.everyMs = every;
  if (r.at !== undefined) {
    if (!Array.isArray(r.at) || r.at.length === 0 || r.at.length > MAX_AT_TIMES) {
      problems.push(problem('SCHEMA', '/at', `must be a list of 1 to ${MAX_AT_TIMES} times`));
    } else {
      const times = r.at.map((t, i) => time(t, `/at/${i}`, problems));
      if (times.every((t) => t !== undefined)) {
        spec.at = [...new Set(times as number[])].sort((a, b) => a - b);
      }
    }
  }
  const jitter = duration(r.jitter, '/jitter', problems);
  if (jitter !== undefined && jitter > 0) spec.jitterMs = jitter;
  const startAt = time(r.start, '/start', problems);
  const endAt = time(r.end, '/end', problems);
  if (startAt !== undefined) spec.startAt = startAt;
  if (endAt !== undefined) spec.endAt = endAt;
  if (startAt !== undefined && endAt !== undefined && endAt <= startAt) {
    problems.push(problem('CONFLICTING_OPTIONS', '/end', 'must be after start'));
  }
  if (every !== undefined && jitter !== undefined && jitter >= every) {
    problems.push(
      problem('CONFLICTING_OPTIONS', '/jitter', `must be shorter than the interval (${r.every})`),
    );
  }
  let overlap: ScheduleOverlap = 'skip';
  if (r.overlap !== undefined) {
    if (OVERLAP_POLICIES.includes(r.overlap)) overlap = r.overlap;
    else {
      problems.push(
        problem(
          'BAD_OVERLAP',
          '/overlap',
          `${JSON.stringify(r.overlap)} is not an overlap policy (one of ${OVERLAP_POLICIES.join(', ')})`,
        ),
      );
    }
  }
  const catchupWindowMs =
    r.catchupWindow === undefined
      ? DEFAULT_CATCHUP_WINDOW_MS
      : duration(r.catchupWindow, '/catchupWindow', problems);
  if (problems.length > 0 || catchupWindowMs === undefined) return { problems };
  if (nextTick(spec, now - 1) === undefined) {
    problems.push(
      problem(
        'NO_TICKS',
        spec.at ? '/at' : spec.endAt !== undefined ? '/end' : '',
        'the schedule would never tick from now on (every time is past, or the expression never matches)',
      ),
    );
    return { problems };
  }
  return { settings: { spec, overlap, catchupWindowMs }, problems: [] };
}
