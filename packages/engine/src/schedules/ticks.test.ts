// Tick computation: intervals, lists, start and end dates, jitter, run ids, and a time-zoned cron
// across daylight-saving changes as croner documents them (Vixie cron's rules: a fixed-time job
// whose time is skipped runs at the first valid time after the gap, one whose time repeats runs
// once, at the first occurrence; an interval job skips missing times and runs at both repeats).
import { describe, expect, it } from 'vitest';
import type { ScheduleSpec } from '@aob/store';
import { jitterOf, nextTick, scheduledRunId, ticksBetween } from './ticks.js';
import { formatDuration, parseDuration } from './durations.js';
import { readScheduleRequest } from './spec.js';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const T = (s: string) => Date.parse(s);

/** The first `n` ticks strictly after `from`. */
function ticks(spec: ScheduleSpec, from: string, n: number): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  let at: number | undefined = T(from);
  for (let i = 0; i < n && at !== undefined; i++) {
    at = nextTick(spec, at);
    out.push(iso(at));
  }
  return out;
}

describe('cron in Europe/Berlin across daylight-saving changes (croner, Vixie rules)', () => {
  const daily0230: ScheduleSpec = { cron: '30 2 * * *', timezone: 'Europe/Berlin' };

  it('02:30 daily: spring forward (30 March 2025, 02:00 → 03:00) runs at 03:00 that day', () => {
    expect(ticks(daily0230, '2025-03-28T12:00:00Z', 4)).toEqual([
      '2025-03-29T01:30:00.000Z', // 02:30 CET (UTC+1)
      '2025-03-30T01:00:00.000Z', // 02:30 does not exist: 03:00 CEST, the first valid time after the gap
      '2025-03-31T00:30:00.000Z', // 02:30 CEST (UTC+2)
      '2025-04-01T00:30:00.000Z',
    ]);
  });

  it('02:30 daily: fall back (26 October 2025, 03:00 → 02:00) runs once, at the first 02:30', () => {
    expect(ticks(daily0230, '2025-10-24T12:00:00Z', 4)).toEqual([
      '2025-10-25T00:30:00.000Z', // 02:30 CEST
      '2025-10-26T00:30:00.000Z', // the first 02:30 (CEST); the second (01:30Z, CET) is not a tick
      '2025-10-27T01:30:00.000Z', // 02:30 CET
      '2025-10-28T01:30:00.000Z',
    ]);
  });

  it('an interval job (every 30 minutes in hour 2) skips the missing hour and runs through the repeated one', () => {
    const halfHourly = { cron: '*/30 2 * * *', timezone: 'Europe/Berlin' };
    expect(ticks(halfHourly, '2025-03-29T23:00:00Z', 3)).toEqual([
      '2025-03-31T00:00:00.000Z', // 30 March has no 02:xx at all
      '2025-03-31T00:30:00.000Z',
      '2025-04-01T00:00:00.000Z',
    ]);
    expect(ticks(halfHourly, '2025-10-25T23:00:00Z', 5)).toEqual([
      '2025-10-26T00:00:00.000Z', // 02:00 CEST
      '2025-10-26T00:30:00.000Z', // 02:30 CEST
      '2025-10-26T01:00:00.000Z', // 02:00 CET, the repeat
      '2025-10-26T01:30:00.000Z', // 02:30 CET
      '2025-10-27T01:00:00.000Z',
    ]);
  });

  it('without a time zone, cron is read in UTC; 6 fields tick by the second', () => {
    expect(ticks({ cron: '0 9 * * 1' }, '2025-03-30T12:00:00Z', 1)).toEqual([
      '2025-03-31T09:00:00.000Z',
    ]);
    expect(ticks({ cron: '*/20 * * * * *' }, '2025-01-01T00:00:05Z', 2)).toEqual([
      '2025-01-01T00:00:20.000Z',
      '2025-01-01T00:00:40.000Z',
    ]);
  });
});

describe('intervals, lists, start and end', () => {
  it('every: aligned on the epoch, or on the start date', () => {
    expect(ticks({ everyMs: 300_000 }, '2025-01-01T00:03:10Z', 2)).toEqual([
      '2025-01-01T00:05:00.000Z',
      '2025-01-01T00:10:00.000Z',
    ]);
    const anchored = { everyMs: 300_000, startAt: T('2025-01-01T00:01:00Z') };
    expect(ticks(anchored, '2024-12-31T00:00:00Z', 2)).toEqual([
      '2025-01-01T00:01:00.000Z',
      '2025-01-01T00:06:00.000Z',
    ]);
  });

  it('at: the listed times after the moment, then none', () => {
    const spec = { at: [T('2025-01-01T00:00:00Z'), T('2025-06-01T00:00:00Z')] };
    expect(ticks(spec, '2024-01-01T00:00:00Z', 3)).toEqual([
      '2025-01-01T00:00:00.000Z',
      '2025-06-01T00:00:00.000Z',
      undefined,
    ]);
  });

  it('start is inclusive, end exclusive', () => {
    const spec = {
      everyMs: 60_000,
      startAt: T('2025-01-01T00:02:00Z'),
      endAt: T('2025-01-01T00:04:00Z'),
    };
    expect(ticks(spec, '2025-01-01T00:00:00Z', 3)).toEqual([
      '2025-01-01T00:02:00.000Z',
      '2025-01-01T00:03:00.000Z',
      undefined,
    ]);
  });

  it('ticksBetween lists a range of the rhythm, bounded', () => {
    const spec = { cron: '0 * * * *' };
    expect(
      ticksBetween(spec, T('2025-01-01T00:00:00Z'), T('2025-01-01T03:00:00Z'), 10).map(iso),
    ).toEqual(['2025-01-01T00:00:00.000Z', '2025-01-01T01:00:00.000Z', '2025-01-01T02:00:00.000Z']);
    expect(ticksBetween({ everyMs: 1_000 }, 0, 1e9, 5)).toHaveLength(5);
  });
});

describe('jitter and run ids', () => {
  it('jitter is the same for a tick every time, within [0, jitter]', () => {
    const a = jitterOf('sch_1', 1_000, 30_000);
    expect(jitterOf('sch_1', 1_000, 30_000)).toBe(a);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThanOrEqual(30_000);
    const spread = new Set(
      Array.from({ length: 50 }, (_, i) => jitterOf('sch_1', i * 1000, 30_000)),
    );
    expect(spread.size).toBeGreaterThan(40);
    expect(jitterOf('sch_1', 1_000, undefined)).toBe(0);
  });

  it("a tick's run id is the schedule's and the tick's; a trigger's is its own", () => {
    expect(scheduledRunId('sch_1', 1_000, 'tick')).toBe(scheduledRunId('sch_1', 1_000, 'backfill'));
    expect(scheduledRunId('sch_1', 1_000, 'tick')).not.toBe(scheduledRunId('sch_2', 1_000, 'tick'));
    expect(scheduledRunId('sch_1', 1_000, 'tick')).not.toBe(scheduledRunId('sch_1', 2_000, 'tick'));
    expect(scheduledRunId('sch_1', 1_000, 'trigger')).not.toBe(
      scheduledRunId('sch_1', 1_000, 'tick'),
    );
  });
});

describe('durations', () => {
  it('reads and writes durations', () => {
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('5')).toBeUndefined();
    expect(parseDuration('5 minutes')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(parseDuration(formatDuration(93_784_005))).toBe(93_784_005);
  });
});

describe('schedule requests: every problem named', () => {
  const now = T('2025-01-01T00:00:00Z');
  const read = (req: unknown) => readScheduleRequest(req, nextTick, now);
  const codes = (req: unknown) => read(req).problems.map((p) => `${p.code} ${p.path}`);

  it('takes a good request whole', () => {
    const r = read({
      workflow: 'report',
      cron: '30 2 * * *',
      timezone: 'Europe/Berlin',
      jitter: '1m',
      overlap: 'buffer_one',
      catchupWindow: '10m',
    });
    expect(r.problems).toEqual([]);
    expect(r.settings).toEqual({
      spec: { cron: '30 2 * * *', timezone: 'Europe/Berlin', jitterMs: 60_000 },
      overlap: 'buffer_one',
      catchupWindowMs: 600_000,
    });
  });

  it('names a bad cron, an unknown time zone, a bad duration and a bad policy together', () => {
    expect(
      codes({
        workflow: 'w',
        cron: '61 * * * *',
        timezone: 'Mars/Olympus',
        jitter: 'soon',
        overlap: 'queue',
      }),
    ).toEqual([
      'BAD_TIMEZONE /timezone',
      'BAD_CRON /cron',
      'BAD_DURATION /jitter',
      'BAD_OVERLAP /overlap',
    ]);
  });

  it('names conflicting and missing options', () => {
    expect(codes({ workflow: 'w', cron: '* * * * *', every: '5m' })).toEqual([
      'CONFLICTING_OPTIONS /every',
    ]);
    expect(codes({ workflow: 'w' })).toEqual(['MISSING_OPTION ']);
    expect(codes({ workflow: 'w', every: '5m', timezone: 'UTC' })).toEqual([
      'CONFLICTING_OPTIONS /timezone',
    ]);
    expect(codes({ workflow: 'w', every: '1m', jitter: '2m' })).toEqual([
      'CONFLICTING_OPTIONS /jitter',
    ]);
    expect(
      codes({
        workflow: 'w',
        every: '1m',
        start: '2025-02-01T00:00:00Z',
        end: '2025-01-01T00:00:00Z',
      }),
    ).toEqual(['CONFLICTING_OPTIONS /end']);
    expect(codes({ every: '100ms', colour: 'red' })).toEqual([
      'UNKNOWN_FIELD /colour',
      'SCHEMA /workflow',
      'BAD_DURATION /every',
    ]);
  });

  it('refuses a schedule that would never tick, and times without a zone', () => {
    expect(codes({ workflow: 'w', at: ['2024-01-01T00:00:00Z'] })).toEqual(['NO_TICKS /at']);
    expect(codes({ workflow: 'w', cron: '0 0 30 2 *' })).toEqual(['NO_TICKS ']);
    expect(codes({ workflow: 'w', at: ['2026-01-01T00:00:00'] })).toEqual(['BAD_TIME /at/0']);
  });
});
