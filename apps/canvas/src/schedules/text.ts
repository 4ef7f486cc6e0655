// What the Schedules page says about a schedule, as pure functions (tested without a browser):
// when it ticks, its state, and how far off a time is.
import type { ScheduleView } from '@aob/client';

const UNITS: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/** `90000` → `1m30s`, as the CLI and the API write durations. */
export function duration(ms: number): string {
  if (ms === 0) return '0s';
  let left = ms;
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(left / size);
    if (n > 0) {
      out += `${n}${unit}`;
      left -= n * size;
    }
  }
  return out;
}

/** When it ticks, in one phrase: `cron 30 2 * * * (Europe/Berlin)`, `every 5m`, `at 2 times`. */
export function whenText(s: Pick<ScheduleView, 'cron' | 'timezone' | 'everyMs' | 'at'>): string {
  if (s.cron !== undefined) return `cron ${s.cron} (${s.timezone ?? 'UTC'})`;
  if (s.everyMs !== undefined) return `every ${duration(s.everyMs)}`;
  const n = s.at?.length ?? 0;
  return `at ${n} time${n === 1 ? '' : 's'}`;
}

export type ScheduleState = 'active' | 'paused' | 'over';

export function stateOf(s: Pick<ScheduleView, 'paused' | 'nextTickAt'>): ScheduleState {
  if (s.paused) return 'paused';
  return s.nextTickAt === undefined ? 'over' : 'active';
}

/** How far `at` is from `now`: `in 4 min`, `in 12 s`, `due now`, or the date when far off. */
export function untilText(at: number | undefined, now: number): string {
  if (at === undefined) return '—';
  const s = Math.round((at - now) / 1000);
  if (s <= 0) return 'due now';
  if (s < 60) return `in ${s} s`;
  if (s < 3600) return `in ${Math.floor(s / 60)} min`;
  if (s < 86_400) return `in ${Math.floor(s / 3600)} h`;
  return new Date(at).toLocaleString();
}
