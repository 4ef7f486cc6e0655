// `aob trace` in a terminal: a run's waterfall (rows from @aob/client's waterfallOf, computed from
// the event log alone) as text: a header with the run and its trace id, then one line per row,
// indented by depth, with a bar scaled to the run's duration, its start offset, its duration and
// its status. Pure functions; colour (by status) only when the caller says so.
import type { Waterfall, WaterfallRow, WaterfallStatus } from '@aob/client';
import { formatDuration, formatOffset } from './render.js';

export interface TraceTextOptions {
  /** The bar's width in characters. */
  width: number;
  /** ANSI colours by status (a terminal, NO_COLOR unset). */
  color: boolean;
  /** A URL template with `{traceId}` (AOB_TRACE_UI): the header prints the trace's link. */
  traceUi?: string | undefined;
}

/** The longest label column; longer labels are cut with an ellipsis. */
const LABEL_MAX = 44;

const labelOf = (r: WaterfallRow) => `${'  '.repeat(r.depth)}${r.label}`;

/** The bars' width that fits `columns` (a terminal's) beside the other columns: 20 to 80; 40 without. */
export function fitBarWidth(wf: Waterfall, columns: number | undefined): number {
  if (!columns) return 40;
  const label = Math.min(LABEL_MAX, Math.max(4, ...wf.rows.map((r) => labelOf(r).length)));
  return Math.max(20, Math.min(80, columns - label - 45));
}

const COLOR: Readonly<Record<WaterfallStatus, string>> = {
  succeeded: '32',
  completed: '32',
  failed: '31',
  waiting: '33',
  scheduled: '33',
  running: '36',
  skipped: '2',
  cancelled: '2',
  event: '35',
};

/** The trace's link from an AOB_TRACE_UI template, when it has a `{traceId}` to fill in. */
export function traceLink(template: string | undefined, traceId: string): string | undefined {
  if (!template || !template.includes('{traceId}')) return undefined;
  return template.split('{traceId}').join(traceId);
}

/** The header: the run, its trace id and how to open it. */
export function formatTraceHeader(wf: Waterfall, traceUi: string | undefined): string[] {
  const workflow = wf.workflow ? ` ${wf.workflow.name}@${wf.workflow.version}` : '';
  const took = formatDuration(wf.durationMs);
  const when =
    wf.status === 'completed'
      ? `in ${took}`
      : wf.endedAt !== undefined
        ? `after ${took}`
        : `${took} so far`;
  const lines = [`run:    ${wf.runId}${workflow} ${wf.status} ${when}`];
  if (!wf.trace) {
    lines.push('trace:  no trace recorded (RunStarted carries no traceparent)');
    return lines;
  }
  lines.push(`trace:  ${wf.trace.traceId}`);
  const link = traceLink(traceUi, wf.trace.traceId);
  if (link) lines.push(`open:   ${link}`);
  else {
    lines.push(
      '        find it in the backend its spans were exported to (Jaeger, Zipkin, Langfuse); to print a',
      '        link, set AOB_TRACE_UI to a URL with {traceId}, e.g. http://localhost:16686/trace/{traceId}',
      `        (Jaeger) or http://localhost:9411/zipkin/traces/{traceId} (Zipkin)${traceUi ? '; AOB_TRACE_UI is set but has no {traceId}' : ''}`,
    );
  }
  return lines;
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/**
 * A row's bar over `width` cells of `total` ms: `░` while it waited for a worker (queued), `█`
 * from then to its end (its last cell in eighths), `◆` for an instant; at least one mark.
 */
export function bar(row: WaterfallRow, total: number, width: number): string {
  const scale = width / Math.max(1, total);
  const cells = Array.from({ length: width }, () => ' ');
  const clampCell = (x: number) => Math.max(0, Math.min(width - 1, Math.floor(x)));
  if (row.instant) {
    cells[clampCell(row.startMs * scale)] = '◆';
    return cells.join('');
  }
  const s = Math.max(0, row.startMs * scale);
  const e = Math.min(width, (row.startMs + row.durationMs) * scale);
  const q = Math.min(e, s + (row.queuedMs ?? 0) * scale);
  let drawn = false;
  for (let i = Math.floor(s); i < Math.ceil(e) && i < width; i++) {
    const run = Math.max(0, Math.min(i + 1, e) - Math.max(i, q));
    const queued = Math.max(0, Math.min(i + 1, q) - Math.max(i, s));
    if (run + queued <= 0) continue;
    if (run > 0 && (run >= 0.5 || queued === 0)) {
      const last = i + 1 > e && i >= q;
      const eighths = Math.round(run * 8);
      cells[i] = last && eighths < 8 ? EIGHTHS[Math.max(1, eighths)]! : '█';
    } else cells[i] = '░';
    drawn = true;
  }
  if (!drawn) cells[clampCell(s)] = '▏';
  return cells.join('');
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const paint = (on: boolean, code: string, text: string) =>
  on ? `\u001b[${code}m${text}\u001b[0m` : text;

const WAITS: ReadonlySet<string> = new Set(['retry', 'approval', 'question', 'timer']);

/**
 * What a row says after its bar: its status (a wait that ended: how, `fired`, `approved`, …), its
 * outcome unless its detail says it, its detail.
 */
function said(row: WaterfallRow): string {
  const ended = WAITS.has(row.kind) && row.status === 'succeeded' && row.outcome;
  const word = ended ? row.outcome! : row.status;
  const outcome =
    !ended && row.outcome && !(row.detail ?? '').includes(row.outcome) && row.outcome !== word
      ? ` (${row.outcome})`
      : '';
  // `approved  approved by ann` says it twice.
  if (ended && row.detail?.startsWith(word)) return row.detail;
  return `${word}${outcome}${row.detail ? `  ${row.detail}` : ''}`;
}

/** The waterfall's lines: header, an axis, one line per row, and what the marks mean. */
export function formatTrace(wf: Waterfall, opts: TraceTextOptions): string[] {
  const width = Math.max(10, Math.floor(opts.width));
  const total = Math.max(1, wf.durationMs, ...wf.rows.map((r) => r.startMs + r.durationMs));
  const labels = wf.rows.map(labelOf);
  const labelWidth = Math.min(LABEL_MAX, Math.max(4, ...labels.map((l) => l.length)));
  const end = formatDuration(total);
  const axis = `0${end.padStart(width - 1)}`;
  const lines = [
    ...formatTraceHeader(wf, opts.traceUi),
    '',
    `${''.padEnd(labelWidth)}  ${axis}  ${'start'.padStart(9)}  ${'took'.padStart(7)}`,
  ];
  wf.rows.forEach((row, i) => {
    const color = COLOR[row.status];
    const took = row.instant ? '' : `${formatDuration(row.durationMs)}${row.open ? '+' : ''}`;
    lines.push(
      `${cut(labels[i]!, labelWidth).padEnd(labelWidth)}  ${paint(opts.color, color, bar(row, total, width))}  ${formatOffset(row.startMs).padStart(9)}  ${took.padStart(7)}  ${paint(opts.color, color, said(row))}`.trimEnd(),
    );
  });
  lines.push(
    '',
    '█ running (or waiting, for a wait)  ░ queued for a worker  ◆ an event  + still open',
  );
  return lines;
}
