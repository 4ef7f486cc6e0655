// How `aob schedule …` shows schedules to a person (with --json the views are printed as they are).
import type { ScheduledRunView, ScheduleView } from '@aob/engine';
import { formatDuration } from '@aob/engine';
import { table } from './render.js';

const time = (ms: number | undefined): string =>
  ms === undefined ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z');

/** When it ticks, in one phrase: `cron 30 2 * * * (Europe/Berlin)`, `every 5m`, `at 2 times`. */
export function whenText(s: ScheduleView): string {
  if (s.cron !== undefined) return `cron ${s.cron}${s.timezone ? ` (${s.timezone})` : ' (UTC)'}`;
  if (s.everyMs !== undefined) return `every ${formatDuration(s.everyMs)}`;
  const n = s.at?.length ?? 0;
  return `at ${n} time${n === 1 ? '' : 's'}`;
}

function stateText(s: ScheduleView): string {
  if (s.paused) return 'paused';
  return s.nextTickAt === undefined ? 'over' : 'active';
}

export function scheduleTable(items: readonly ScheduleView[]): string[] {
  return table(
    items.map((s) => [
      s.scheduleId,
      s.workflow,
      whenText(s),
      stateText(s),
      time(s.nextTickAt),
      s.lastRunId ?? '-',
    ]),
    ['SCHEDULE', 'WORKFLOW', 'WHEN', 'STATE', 'NEXT TICK', 'LAST RUN'],
  );
}

export function scheduleText(s: ScheduleView): string[] {
  const lines = [
    `schedule ${s.scheduleId}: ${s.workflow}, ${whenText(s)}, ${stateText(s)}${s.note ? ` — ${s.note}` : ''}`,
    `  inputs:          ${JSON.stringify(s.inputs)}`,
    `  overlap:         ${s.overlap}; catch-up window ${formatDuration(s.catchupWindowMs)}${s.jitterMs ? `; jitter up to ${formatDuration(s.jitterMs)}` : ''}`,
  ];
  if (s.startAt !== undefined || s.endAt !== undefined) {
    lines.push(`  between:         ${time(s.startAt)} and ${time(s.endAt)}`);
  }
  if (s.at) lines.push(`  at:              ${s.at.map(time).join(', ')}`);
  lines.push(
    `  next tick:       ${time(s.nextTickAt)}${s.nextRunAt !== undefined && s.nextRunAt !== s.nextTickAt ? ` (its run at ${time(s.nextRunAt)})` : ''}`,
  );
  if (s.bufferedTickAt !== undefined) lines.push(`  buffered tick:   ${time(s.bufferedTickAt)}`);
  lines.push(`  last tick run:   ${time(s.lastTickAt)}`);
  if (s.lastRunId) lines.push(`  last run:        ${s.lastRunId}`);
  const c = s.counts;
  lines.push(
    `  ticks:           ${c.started} started, ${c.skipped} skipped, ${c.missed} missed, ${c.failed} failed`,
  );
  if (s.lastError) {
    lines.push(
      `  last failure:    tick ${time(s.lastError.tick)}: ${s.lastError.code}: ${s.lastError.message}`,
    );
  }
  lines.push(`  created:         ${time(s.createdAt)} by ${s.createdBy}`);
  return lines;
}

export function scheduledRunsText(runs: readonly ScheduledRunView[]): string[] {
  if (runs.length === 0) return ['no ticks in that range'];
  return table(
    runs.map((r) => [time(r.tick), r.runId, r.started ? 'started' : 'started before']),
    ['TICK', 'RUN', ''],
  );
}
