// The run's timeline (a Gantt chart, like Temporal's): one row per node, a bar per attempt from
// its start to its end, approval waits and timers drawn apart, retries side by side. Gaps where
// nothing ran longer than a few seconds are compressed, so a run that waited a day still shows
// its work.
import { useMemo } from 'react';
import type { AnyRunEvent } from '@aob/core';
import { formatDuration } from '../status.js';

interface Bar {
  node: string;
  kind: 'attempt' | 'wait' | 'failed';
  from: number;
  to: number;
  label: string;
}

/** Bars from the log: attempts (NodeStarted → end), approval waits (requested → decided). */
export function barsOf(events: readonly AnyRunEvent[], now: number): Bar[] {
  const open = new Map<string, { at: number; attempt: number; kind: Bar['kind'] }>();
  const bars: Bar[] = [];
  for (const e of events) {
    const d = e.data as { nodeId?: string; attempt?: number; iteration?: number };
    if (!d.nodeId || d.iteration !== undefined) continue;
    if (e.type === 'NodeStarted')
      open.set(d.nodeId, { at: e.at, attempt: d.attempt ?? 1, kind: 'attempt' });
    if (e.type === 'ApprovalRequested') open.set(d.nodeId, { at: e.at, attempt: 1, kind: 'wait' });
    // A map node has no attempt of its own: its bar spans its items, from fan-out to the end.
    if (e.type === 'NodeScheduled' && (e.data as { items?: number }).items !== undefined) {
      open.set(d.nodeId, { at: e.at, attempt: 1, kind: 'attempt' });
    }
    if (e.type === 'NodeSucceeded' || e.type === 'NodeFailed') {
      const o = open.get(d.nodeId);
      if (!o) continue;
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
  for (const [node, o] of open) {
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

const GAP_MS = 5_000;

/** Maps time to a position with idle gaps longer than GAP_MS shrunk to GAP_MS. */
function compressedScale(bars: readonly Bar[]): (t: number) => number {
  const points = [...new Set(bars.flatMap((b) => [b.from, b.to]))].sort((a, b) => a - b);
  const busy = (t0: number, t1: number) => bars.some((b) => b.from < t1 && b.to > t0);
  const stops: { t: number; x: number }[] = [];
  let x = 0;
  for (let i = 0; i < points.length; i++) {
    if (i > 0) {
      const span = points[i]! - points[i - 1]!;
      x += busy(points[i - 1]!, points[i]!) ? span : Math.min(span, GAP_MS);
    }
    stops.push({ t: points[i]!, x });
  }
  return (t) => {
    const j = stops.findIndex((s) => s.t >= t);
    if (j <= 0) return 0;
    const a = stops[j - 1]!;
    const b = stops[j]!;
    return a.x + ((t - a.t) / (b.t - a.t || 1)) * (b.x - a.x);
  };
}

export function Timeline({ events, now }: { events: readonly AnyRunEvent[]; now: number }) {
  const bars = useMemo(() => barsOf(events, now), [events, now]);
  if (bars.length === 0) return null;
  const scale = compressedScale(bars);
  const width = Math.max(1, scale(Math.max(...bars.map((b) => b.to))));
  const rows = [...new Set(bars.map((b) => b.node))];
  return (
    <section className="timeline" aria-label="timeline">
      <h2>Timeline</h2>
      <div className="timeline-rows">
        {rows.map((node) => (
          <div className="timeline-row" key={node}>
            <span className="timeline-node">{node}</span>
            <div className="timeline-track">
              {bars
                .filter((b) => b.node === node)
                .map((b, i) => (
                  <span
                    key={i}
                    className={`timeline-bar bar-${b.kind}`}
                    title={b.label}
                    style={{
                      left: `${(scale(b.from) / width) * 100}%`,
                      width: `max(3px, ${((scale(b.to) - scale(b.from)) / width) * 100}%)`,
                    }}
                  />
                ))}
            </div>
          </div>
        ))}
      </div>
    </section>
  );
}
