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
