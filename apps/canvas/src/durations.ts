// What the canvas shows on the graph from a run's events: node statuses (the engine's own fold,
// so a status changes on the frame its event arrives, not after a summary is read again), node
// durations (from the node's first start to its end, or to now while it runs), map progress and
// child runs. The log is folded as it
// grows: a live page gets a batch of events per frame, and folding only the batch keeps a frame's
// work the same at 20,000 events as at 20.
import type { AnyRunEvent, RunState, RunStatus } from '@aob/core';
import { evolve, initialState, shownNodeStatus } from '@aob/core';

/** A node as the graph shows it: its status as people see it, and its attempts. */
export interface NodeFact {
  status: string;
  attempts: number;
}

/** A map node's items: how many there are, and how many are done, failed for good, running. */
export interface MapProgress {
  total: number;
  done: number;
  failed: number;
  running: number;
}

/** The log's facts as of its last event (a snapshot: later events do not change it). */
export interface RunFacts {
  /** The run's status; undefined before its first event. */
  status: RunStatus | undefined;
  /** The nodes the log has reached (a node it has not is pending). */
  nodes: ReadonlyMap<string, NodeFact>;
  /** Each node's first start (or approval request) and its end. */
  started: ReadonlyMap<string, number>;
  ended: ReadonlyMap<string, number>;
  maps: ReadonlyMap<string, MapProgress>;
  children: ReadonlyMap<string, string>;
}

interface Fold {
  started: Map<string, number>;
  ended: Map<string, number>;
  maps: Map<string, MapProgress>;
  /** A map node's items running now. */
  live: Map<string, Set<number>>;
  children: Map<string, string>;
  /** The run's state, evolved in place. */
  state: RunState;
}

const empty = (): Fold => ({
  state: initialState(''),
  started: new Map(),
  ended: new Map(),
  maps: new Map(),
  live: new Map(),
  children: new Map(),
});

function step(f: Fold, e: AnyRunEvent): void {
  evolve(f.state, e);
  const d = e.data as {
    nodeId?: unknown;
    iteration?: number;
    items?: number;
    final?: boolean;
    childRunId?: string;
  };
  if (typeof d.nodeId !== 'string') return;
  const nodeId = d.nodeId;
  if ((e.type === 'NodeStarted' || e.type === 'ApprovalRequested') && !f.started.has(nodeId)) {
    f.started.set(nodeId, e.at);
  }
  if (e.type === 'NodeSucceeded' || e.type === 'NodeFailed' || e.type === 'NodeSkipped') {
    f.ended.set(nodeId, e.at);
  }
  if (e.type === 'ChildRunStarted' && d.childRunId) f.children.set(nodeId, d.childRunId);
  if (e.type === 'NodeScheduled' && d.iteration === undefined && d.items !== undefined) {
    f.maps.set(nodeId, { total: d.items, done: 0, failed: 0, running: 0 });
    f.live.set(nodeId, new Set());
  }
  const m = f.maps.get(nodeId);
  if (!m || d.iteration === undefined) return;
  const running = f.live.get(nodeId)!;
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

/**
 * Folds a run's log as it grows. `of` steps over only the events added since its last call when
 * the log it is given is the last one with events appended (the same event objects in front);
 * any other log (a reload, another run) is folded from its first event.
 */
export class RunFolder {
  private seen: readonly AnyRunEvent[] = [];
  private fold = empty();

  of(events: readonly AnyRunEvent[]): RunFacts {
    const n = this.seen.length;
    const extends_ = events.length >= n && (n === 0 || events[n - 1] === this.seen[n - 1]);
    if (!extends_) this.fold = empty();
    for (let i = extends_ ? n : 0; i < events.length; i++) step(this.fold, events[i]!);
    this.seen = events;
    const f = this.fold;
    const nodes = new Map<string, NodeFact>();
    for (const [id, n] of Object.entries(f.state.nodes)) {
      nodes.set(id, { status: shownNodeStatus(n.status, f.state.status), attempts: n.attempt });
    }
    return {
      status: f.state.seq > 0 ? f.state.status : undefined,
      nodes,
      started: new Map(f.started),
      ended: new Map(f.ended),
      maps: new Map([...f.maps].map(([id, m]) => [id, { ...m }])),
      children: new Map(f.children),
    };
  }
}

/** The facts of a whole log at once. */
export function runFacts(events: readonly AnyRunEvent[]): RunFacts {
  return new RunFolder().of(events);
}

/** Each started node's duration: to its end, or to `now` while it runs. */
export function nodeDurations(facts: RunFacts, now: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const [id, at] of facts.started) out.set(id, (facts.ended.get(id) ?? now) - at);
  return out;
}
