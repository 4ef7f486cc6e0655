// A run's waterfall beside its graph: the rows `aob trace` prints (@aob/client's waterfallOf, from
// the run's event log alone), drawn as bars on the run's time axis: the run, each node attempt
// (retries apart, the part spent queued for a worker lighter), map items, backoffs, approval,
// question and timer waits, child runs with their own rows, patch and budget events as marks.
// It grows live with the page's feed; a row is a button that selects its node (the arrow keys move
// between rows, one tab stop for the list); the trace id RunStarted recorded heads it.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Dispatch, KeyboardEvent as ReactKeyboardEvent, SetStateAction } from 'react';
import type { AobHttpClient, Waterfall as WaterfallData, WaterfallRow } from '@aob/client';
import type { AnyRunEvent } from '@aob/core';
import { readRunLog } from '../feed.js';
import { STATUS_ICON, formatDuration } from '../status.js';
import './Waterfall.css';

/** Rows shown under one parent at most (a map of 5,000 items shows 40 and says how many more). */
export const ROWS_PER_PARENT = 40;

/** A row as drawn, or a line saying how many rows under a parent are not. */
export type Shown = { row: WaterfallRow } | { more: number; parentId: string; depth: number };

/**
 * The rows to draw: every row, but at most `limit` children of any one parent (the rest, and what
 * is under them, summed up in one line after the ones shown).
 */
export function visibleRows(rows: readonly WaterfallRow[], limit = ROWS_PER_PARENT): Shown[] {
  const count = new Map<string, number>();
  const hidden = new Set<string>();
  const more = new Map<string, { n: number; depth: number }>();
  const out: Shown[] = [];
  const flush = (parentId: string) => {
    const m = more.get(parentId);
    if (m) out.push({ more: m.n, parentId, depth: m.depth });
    more.delete(parentId);
  };
  // Rows come parent first, then its subtree: a parent's summary goes where its subtree ends.
  const open: string[] = [];
  for (const row of rows) {
    if (row.parentId !== undefined && hidden.has(row.parentId)) {
      hidden.add(row.id);
      continue;
    }
    while (open.length > 0 && open.at(-1) !== row.parentId) flush(open.pop()!);
    if (row.parentId !== undefined) {
      const n = (count.get(row.parentId) ?? 0) + 1;
      count.set(row.parentId, n);
      if (n > limit) {
        hidden.add(row.id);
        const m = more.get(row.parentId) ?? { n: 0, depth: row.depth };
        m.n++;
        more.set(row.parentId, m);
        continue;
      }
    }
    out.push({ row });
    open.push(row.id);
  }
  while (open.length > 0) flush(open.pop()!);
  return out;
}

/**
 * Reads the logs of a waterfall's child runs into `setLogs` as they appear, and again every 2 s
 * until they end, so their rows nest under them. A child that cannot be read stays one row.
 */
export function useChildLogs(
  client: Pick<AobHttpClient, 'runEvents'>,
  waterfall: WaterfallData | undefined,
  setLogs: Dispatch<SetStateAction<ReadonlyMap<string, AnyRunEvent[]>>>,
): void {
  const read = useRef(new Set<string>());
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const children = waterfall?.children ?? [];
  // What to read, as a string: the effect runs again only when it changes. A child goes on until
  // its log (read again every 2 s) says it ended.
  const unread = children.filter((c) => !read.current.has(c.runId)).map((c) => c.runId);
  const live = children.filter((c) => !c.ended).map((c) => c.runId);
  const want = `${unread.join(',')}|${live.join(',')}`;
  useEffect(() => {
    const [first = [], going = []] = want.split('|').map((ids) => ids.split(',').filter(Boolean));
    const fetchLog = (id: string) => {
      read.current.add(id);
      readRunLog(client, id, () => undefined)
        .then((log) => {
          if (mounted.current) setLogs((prev) => new Map(prev).set(id, log));
        })
        .catch(() => undefined);
    };
    for (const id of first.slice(0, 20)) fetchLog(id);
    if (going.length === 0) return;
    const t = setInterval(() => going.slice(0, 20).forEach(fetchLog), 2_000);
    return () => clearInterval(t);
  }, [client, want, setLogs]);
}

const WAITS: ReadonlySet<string> = new Set(['retry', 'approval', 'question', 'timer']);

/** A row's status in a word: a wait that ended says how (`approved`, `answered`, `fired`). */
function word(row: WaterfallRow): string {
  if (WAITS.has(row.kind) && row.status === 'succeeded' && row.outcome) {
    return row.outcome.split(' ')[0]!;
  }
  return row.status;
}

/** Its colour: a rejection as one, else by status. */
const statusClass = (row: WaterfallRow) => (word(row) === 'rejected' ? 'rejected' : row.status);

function rowName(row: WaterfallRow): string {
  const took = row.instant
    ? 'an event'
    : `${formatDuration(row.durationMs)}${row.open ? ' so far' : ''}`;
  const parts = [
    row.label,
    row.status === 'event' ? undefined : row.status,
    row.outcome,
    `at +${formatDuration(row.startMs)}`,
    took,
    row.detail,
  ];
  return parts.filter(Boolean).join(', ');
}

export function Waterfall(props: {
  waterfall: WaterfallData | undefined;
  selected: string | undefined;
  onSelect: (nodeId: string) => void;
}) {
  const { waterfall, selected, onSelect } = props;
  const shown = useMemo(() => visibleRows(waterfall?.rows ?? []), [waterfall]);
  const [focus, setFocus] = useState(0);
  const list = useRef<HTMLOListElement>(null);
  if (!waterfall) return <div className="graph-loading">Loading…</div>;

  const total = Math.max(
    1,
    waterfall.durationMs,
    ...waterfall.rows.map((r) => r.startMs + r.durationMs),
  );
  const pct = (ms: number) => `${Math.min(100, Math.max(0, (ms / total) * 100))}%`;
  const buttons = shown.flatMap((s, i) => ('row' in s ? [i] : []));
  const current = Math.min(focus, Math.max(0, buttons.length - 1));

  const move = (e: ReactKeyboardEvent<HTMLOListElement>) => {
    const to =
      e.key === 'ArrowDown'
        ? current + 1
        : e.key === 'ArrowUp'
          ? current - 1
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? buttons.length - 1
              : undefined;
    if (to === undefined) return;
    e.preventDefault();
    const next = Math.max(0, Math.min(buttons.length - 1, to));
    setFocus(next);
    list.current?.querySelectorAll<HTMLButtonElement>('button.waterfall-row')[next]?.focus();
  };

  let b = -1;
  return (
    <section
      className="waterfall"
      aria-label="waterfall"
      data-rows={waterfall.rows.length}
      data-trace-id={waterfall.trace?.traceId ?? ''}
    >
      <header className="waterfall-head">
        {waterfall.trace ? (
          <span>
            Trace <code className="waterfall-trace">{waterfall.trace.traceId}</code>
          </span>
        ) : (
          <span className="waterfall-no-trace">No trace recorded</span>
        )}
        <span className="waterfall-legend">
          <span>
            <span className="waterfall-swatch" aria-hidden="true">
              <span className="waterfall-queued" />
            </span>
            queued for a worker
          </span>
          <span>
            <span className="waterfall-mark wf-event" aria-hidden="true" />
            an event
          </span>
          <span>
            {waterfall.rows.length} rows · {formatDuration(waterfall.durationMs)}
            {waterfall.endedAt === undefined ? ' so far' : ''}
          </span>
        </span>
      </header>
      <div className="waterfall-axis" aria-hidden="true">
        <span />
        <span className="waterfall-ticks">
          {[0, 0.25, 0.5, 0.75, 1].map((f) => (
            <span key={f} style={{ left: `${f * 100}%` }}>
              {f === 0 ? '0' : formatDuration(total * f)}
            </span>
          ))}
        </span>
        <span />
      </div>
      <ol className="waterfall-rows" ref={list} onKeyDown={move}>
        {shown.map((s) => {
          if (!('row' in s)) {
            return (
              <li key={`more:${s.parentId}`} className="waterfall-more">
                <span style={{ paddingLeft: `${s.depth * 0.9}rem` }}>
                  … {s.more} more not shown
                </span>
              </li>
            );
          }
          const row = s.row;
          b++;
          const index = b;
          const start = row.startMs;
          const queued = Math.min(row.queuedMs ?? 0, row.durationMs);
          const node = row.selectNode;
          return (
            <li key={row.id}>
              <button
                type="button"
                className={`waterfall-row kind-${row.kind}${node !== undefined && node === selected ? ' selected' : ''}`}
                data-row-kind={row.kind}
                data-status={row.status}
                data-node={node ?? ''}
                tabIndex={index === current ? 0 : -1}
                aria-label={rowName(row)}
                aria-pressed={node !== undefined ? node === selected : undefined}
                aria-disabled={node === undefined ? true : undefined}
                title={rowName(row)}
                onFocus={() => setFocus(index)}
                onClick={() => {
                  if (node !== undefined) onSelect(node);
                }}
              >
                <span className="waterfall-label" style={{ paddingLeft: `${row.depth * 0.9}rem` }}>
                  {row.label}
                </span>
                <span className="waterfall-track">
                  {row.instant ? (
                    <span
                      className={`waterfall-mark wf-${row.status}`}
                      style={{ left: pct(start) }}
                    />
                  ) : (
                    <span
                      className={`waterfall-bar wf-${row.status}${row.open ? ' open' : ''}`}
                      style={{ left: pct(start), width: `max(2px, ${pct(row.durationMs)})` }}
                    >
                      {queued > 0 ? (
                        <span
                          className="waterfall-queued"
                          style={{ width: `${(queued / Math.max(1, row.durationMs)) * 100}%` }}
                        />
                      ) : null}
                    </span>
                  )}
                </span>
                <span className="waterfall-took">
                  {row.instant ? '' : `${formatDuration(row.durationMs)}${row.open ? '+' : ''}`}
                </span>
                <span className={`waterfall-status status status-${statusClass(row)}`}>
                  {row.status === 'event' ? '◆' : `${STATUS_ICON[word(row)] ?? '•'} ${word(row)}`}
                </span>
              </button>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
