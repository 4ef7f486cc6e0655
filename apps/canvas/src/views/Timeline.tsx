// The run's timeline (a Gantt chart, like Temporal's): one row per node, a bar per attempt from
// its start to its end, approval waits and timers drawn apart, retries side by side. Gaps where
// nothing ran longer than a few seconds are compressed, so a run that waited a day still shows
// its work. A time range can be zoomed into: drag across the bars, or move the "Window from" and
// "Window to" sliders (keyboard); "Whole run" shows everything again.
import { useMemo, useState } from 'react';
import type { PointerEvent as ReactPointerEvent } from 'react';
import type { AnyRunEvent } from '@aob/core';
import { formatDuration } from '../status.js';

export interface Bar {
  node: string;
  kind: 'attempt' | 'wait' | 'failed';
  from: number;
  to: number;
  label: string;
}

type Open = Map<string, { at: number; attempt: number; kind: Bar['kind'] }>;

function step(open: Open, bars: Bar[], e: AnyRunEvent): void {
  const d = e.data as { nodeId?: string; attempt?: number; iteration?: number };
  if (!d.nodeId || d.iteration !== undefined) return;
  if (e.type === 'NodeStarted')
    open.set(d.nodeId, { at: e.at, attempt: d.attempt ?? 1, kind: 'attempt' });
  if (e.type === 'ApprovalRequested') open.set(d.nodeId, { at: e.at, attempt: 1, kind: 'wait' });
  // A map node has no attempt of its own: its bar spans its items, from fan-out to the end.
  if (e.type === 'NodeScheduled' && (e.data as { items?: number }).items !== undefined) {
    open.set(d.nodeId, { at: e.at, attempt: 1, kind: 'attempt' });
  }
  if (e.type === 'NodeSucceeded' || e.type === 'NodeFailed') {
    const o = open.get(d.nodeId);
    if (!o) return;
    open.delete(d.nodeId);
    const failed = e.type === 'NodeFailed';
    bars.push({
      node: d.nodeId,
      kind: failed ? 'failed' : o.kind,
      from: o.at,
      to: e.at,
      label: `${d.nodeId}${o.attempt > 1 ? ` #${o.attempt}` : ''}: ${formatDuration(e.at - o.at)}${failed ? ' (failed)' : ''}`,
    });
  }
}

/**
 * Bars from the log: attempts (NodeStarted → end), approval waits (requested → decided), the
 * ones still open ending at `now`. Folded as the log grows, like the graph's facts (RunFolder):
 * a log that extends the last one costs only its new events.
 */
export class BarFolder {
  private seen: readonly AnyRunEvent[] = [];
  private open: Open = new Map();
  private closed: Bar[] = [];

  of(events: readonly AnyRunEvent[], now: number): Bar[] {
    const n = this.seen.length;
    const extends_ = events.length >= n && (n === 0 || events[n - 1] === this.seen[n - 1]);
    if (!extends_) {
      this.open = new Map();
      this.closed = [];
    }
    for (let i = extends_ ? n : 0; i < events.length; i++) step(this.open, this.closed, events[i]!);
    this.seen = events;
    const bars = [...this.closed];
    for (const [node, o] of this.open) {
      bars.push({
        node,
        kind: o.kind,
        from: o.at,
        to: now,
        label: `${node}: ${formatDuration(now - o.at)} so far`,
      });
    }
    return bars;
  }
}

export function barsOf(events: readonly AnyRunEvent[], now: number): Bar[] {
  return new BarFolder().of(events, now);
}

const GAP_MS = 5_000;

/** The compressed axis: time ↔ position, with idle gaps longer than GAP_MS shrunk to GAP_MS. */
export interface Scale {
  x: (t: number) => number;
  t: (x: number) => number;
  /** The first bar's start, on the time axis. */
  start: number;
  /** The axis's length: the position of the last bar's end. */
  width: number;
}

/** Index of the last stop whose key is ≤ v (0 when none is). */
function lastAtOrBefore(keys: readonly number[], v: number): number {
  let lo = 0;
  let hi = keys.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (keys[mid]! <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function compressedScale(bars: readonly Bar[]): Scale {
  const points = [...new Set(bars.flatMap((b) => [b.from, b.to]))].sort((a, b) => a - b);
  // Busy spans (bars merged): every stretch between two consecutive points is either inside one
  // or idle, so one pass over both, in order, tells which (instead of testing every bar each time).
  const spans = bars.map((b) => [b.from, b.to] as const).sort((a, b) => a[0] - b[0]);
  const busy: [number, number][] = [];
  for (const [from, to] of spans) {
    const last = busy.at(-1);
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else busy.push([from, to]);
  }
  const ts: number[] = [];
  const xs: number[] = [];
  let x = 0;
  let k = 0;
  for (let i = 0; i < points.length; i++) {
    if (i > 0) {
      const a = points[i - 1]!;
      const b = points[i]!;
      while (k < busy.length && busy[k]![1] <= a) k++;
      const inside = k < busy.length && busy[k]![0] <= a && busy[k]![1] >= b;
      x += inside ? b - a : Math.min(b - a, GAP_MS);
    }
    ts.push(points[i]!);
    xs.push(x);
  }
  const between = (from: number[], to: number[], v: number) => {
    if (from.length === 0) return 0;
    if (v <= from[0]!) return to[0]!;
    if (v >= from.at(-1)!) return to.at(-1)!;
    const j = lastAtOrBefore(from, v);
    const span = from[j + 1]! - from[j]!;
    return to[j]! + (span === 0 ? 0 : ((v - from[j]!) / span) * (to[j + 1]! - to[j]!));
  };
  return {
    x: (t) => between(ts, xs, t),
    t: (v) => between(xs, ts, v),
    start: ts[0] ?? 0,
    width: Math.max(1, xs.at(-1) ?? 0),
  };
}

/** The part of the axis in view, in positions; undefined is the whole run. */
interface Span {
  from: number;
  to: number;
}

export function Timeline({ events, now }: { events: readonly AnyRunEvent[]; now: number }) {
  const [folder] = useState(() => new BarFolder());
  const bars = useMemo(() => folder.of(events, now), [folder, events, now]);
  const scale = useMemo(() => compressedScale(bars), [bars]);
  const rows = useMemo(() => {
    const byNode = new Map<string, Bar[]>();
    for (const b of bars) {
      const row = byNode.get(b.node);
      if (row) row.push(b);
      else byNode.set(b.node, [b]);
    }
    return [...byNode];
  }, [bars]);
  const [zoom, setZoom] = useState<Span>();
  // A range being dragged: its ends on the axis, and where the tracks' column is (px in the rows).
  const [drag, setDrag] = useState<{ from: number; to: number; left: number; width: number }>();
  if (bars.length === 0) return null;

  // A zoomed window stays where it was put; the whole run's window grows with a live run.
  const from = Math.max(0, Math.min(zoom?.from ?? 0, scale.width - 1));
  const to = Math.max(from + 1, Math.min(zoom?.to ?? scale.width, scale.width));
  const zoomed = from > 0 || to < scale.width;
  const pct = (x: number) => ((x - from) / (to - from)) * 100;
  const step = Math.max(1, Math.round(scale.width / 200));
  const since = (x: number) => `+${formatDuration(scale.t(x) - scale.start)}`;

  // Dragging across the bars picks a range: positions are taken relative to the bars' tracks.
  const trackX = (e: ReactPointerEvent<HTMLDivElement>) => {
    const rows = e.currentTarget.getBoundingClientRect();
    const track = e.currentTarget.querySelector('.timeline-track');
    if (!track) return undefined;
    const r = track.getBoundingClientRect();
    const f = Math.max(0, Math.min(1, (e.clientX - r.left) / (r.width || 1)));
    return { f, px: e.clientX - r.left, left: r.left - rows.left, width: r.width };
  };
  const at = (f: number) => from + f * (to - from);
  const dragFrom = drag ? Math.min(drag.from, drag.to) : 0;
  const dragTo = drag ? Math.max(drag.from, drag.to) : 0;

  return (
    <section
      className="timeline"
      aria-label="timeline"
      data-window-from={Math.round(from)}
      data-window-to={Math.round(to)}
    >
      <h2>Timeline</h2>
      <div
        className="timeline-zoom"
        style={{ display: 'flex', gap: '0.8rem', alignItems: 'center', flexWrap: 'wrap' }}
      >
        <WindowSlider
          label="Window from"
          max={scale.width}
          step={step}
          value={from}
          valueText={since(from)}
          onChange={(v) => setZoom({ from: Math.min(v, to - step), to })}
        />
        <WindowSlider
          label="Window to"
          max={scale.width}
          step={step}
          value={to}
          valueText={since(to)}
          onChange={(v) => setZoom({ from, to: Math.max(v, from + step) })}
        />
        <span className="timeline-window">
          {since(from)} – {since(to)}
        </span>
        <button type="button" disabled={!zoomed} onClick={() => setZoom(undefined)}>
          Whole run
        </button>
      </div>
      <div
        className="timeline-rows"
        style={{ position: 'relative', touchAction: 'none' }}
        onPointerDown={(e) => {
          const p = trackX(e);
          if (!p || p.px < 0 || e.button !== 0) return;
          e.currentTarget.setPointerCapture(e.pointerId);
          setDrag({ from: at(p.f), to: at(p.f), left: p.left, width: p.width });
        }}
        onPointerMove={(e) => {
          const p = drag && trackX(e);
          if (p) setDrag({ ...drag, to: at(p.f) });
        }}
        onPointerUp={() => {
          // A click is not a range: only a drag over more than 1 % of the window zooms.
          if (drag && dragTo - dragFrom > (to - from) / 100) {
            setZoom({ from: dragFrom, to: dragTo });
          }
          setDrag(undefined);
        }}
        onPointerCancel={() => setDrag(undefined)}
      >
        {rows.map(([node, own]) => (
          <div className="timeline-row" key={node}>
            <span className="timeline-node">{node}</span>
            <div className="timeline-track" style={{ overflow: 'hidden' }}>
              {own.map((b, i) => {
                const a = scale.x(b.from);
                const z = scale.x(b.to);
                if (z < from || a > to) return null;
                return (
                  <span
                    key={i}
                    className={`timeline-bar bar-${b.kind}`}
                    title={b.label}
                    style={{
                      left: `${pct(a)}%`,
                      width: `max(3px, ${pct(z) - pct(a)}%)`,
                    }}
                  />
                );
              })}
            </div>
          </div>
        ))}
        {drag ? (
          <div
            aria-hidden="true"
            style={{
              position: 'absolute',
              top: 0,
              bottom: 0,
              left: drag.left + (pct(dragFrom) / 100) * drag.width,
              width: ((pct(dragTo) - pct(dragFrom)) / 100) * drag.width,
              background: 'color-mix(in srgb, var(--accent) 20%, transparent)',
              pointerEvents: 'none',
            }}
          />
        ) : null}
      </div>
    </section>
  );
}

/** One end of the timeline's window: a slider over the axis, its value said as time since start. */
function WindowSlider(props: {
  label: string;
  max: number;
  step: number;
  value: number;
  valueText: string;
  onChange: (value: number) => void;
}) {
  return (
    <label style={{ display: 'inline-flex', alignItems: 'center', gap: '0.4rem' }}>
      {props.label}
      <input
        type="range"
        min={0}
        max={Math.round(props.max)}
        step={props.step}
        value={Math.round(props.value)}
        aria-valuetext={props.valueText}
        onChange={(e) => props.onChange(Number(e.target.value))}
      />
    </label>
  );
}
