// Node durations from a run's events: from the node's first start to its end (or to now while it
// runs), so the canvas can show each node's time on the node itself.
import type { AnyRunEvent } from '@aob/core';

export function nodeDurations(events: readonly AnyRunEvent[], now: number): Map<string, number> {
  const started = new Map<string, number>();
  const ended = new Map<string, number>();
  for (const e of events) {
    const nodeId = (e.data as { nodeId?: unknown }).nodeId;
    if (typeof nodeId !== 'string') continue;
    if ((e.type === 'NodeStarted' || e.type === 'ApprovalRequested') && !started.has(nodeId)) {
      started.set(nodeId, e.at);
    }
    if (e.type === 'NodeSucceeded' || e.type === 'NodeFailed' || e.type === 'NodeSkipped') {
      ended.set(nodeId, e.at);
    }
  }
  const out = new Map<string, number>();
  for (const [id, at] of started) out.set(id, (ended.get(id) ?? now) - at);
  return out;
}

/** A map node's items: how many there are, and how many are done, failed for good, running. */
export interface MapProgress {
  total: number;
  done: number;
  failed: number;
  running: number;
}

/** Map progress and child runs per node, from the log. */
export function nodeFacts(events: readonly AnyRunEvent[]): {
  maps: Map<string, MapProgress>;
  children: Map<string, string>;
} {
  const maps = new Map<string, MapProgress>();
  const live = new Map<string, Set<number>>();
  const children = new Map<string, string>();
  for (const e of events) {
    const d = e.data as {
      nodeId?: string;
      iteration?: number;
      items?: number;
      final?: boolean;
      childRunId?: string;
    };
    if (typeof d.nodeId !== 'string') continue;
    if (e.type === 'ChildRunStarted' && d.childRunId) children.set(d.nodeId, d.childRunId);
    if (e.type === 'NodeScheduled' && d.iteration === undefined && d.items !== undefined) {
      maps.set(d.nodeId, { total: d.items, done: 0, failed: 0, running: 0 });
      live.set(d.nodeId, new Set());
    }
    const m = maps.get(d.nodeId);
    if (!m || d.iteration === undefined) continue;
    const running = live.get(d.nodeId)!;
    if (e.type === 'NodeStarted') running.add(d.iteration);
    if (e.type === 'NodeSucceeded') {
      running.delete(d.iteration);
      m.done++;
    }
    if (e.type === 'NodeFailed') {
      running.delete(d.iteration);
      if (d.final) m.failed++;
    }
    m.running = running.size;
  }
  return { maps, children };
}
