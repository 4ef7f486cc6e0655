// How a run ends before its graph finishes (it failed, was cancelled, or crossed its budget): the
// terminal event, then the commands that release what was in flight, then the parent's notice.
// The work in flight is read before the terminal event, which clears the state's timers.
import type { CasRef } from '../content/ref.js';
import type { ErrorData } from '../errors.js';
import type { Decider } from './decider.js';
import { isRunOver } from './state.js';
import { childUsage } from './budget.js';

export function failRun(d: Decider, error: ErrorData, nodeId?: string): void {
  if (isRunOver(d.state)) return;
  const inFlight = inFlightWork(d);
  d.emit('RunFailed', { error, ...(nodeId !== undefined ? { nodeId } : {}) });
  releaseInFlight(d, inFlight);
  notifyParent(d, 'failed', undefined, error);
}

/** Cancels the run (a person's `cancel`, or a budget whose policy is `cancel`). */
export function cancelRun(d: Decider, reason?: string, by?: string): void {
  if (isRunOver(d.state)) return;
  const work = inFlightWork(d);
  d.emit(
    'RunCancelled',
    { ...(reason !== undefined ? { reason } : {}), ...(by !== undefined ? { by } : {}) },
    by,
  );
  releaseInFlight(d, work);
  notifyParent(d, 'cancelled');
}

export interface InFlightWork {
  jobs: string[];
  timers: string[];
  children: string[];
}

export function inFlightWork(d: Decider): InFlightWork {
  const work: InFlightWork = {
    jobs: [],
    timers: Object.keys(d.state.timers),
    children: [],
  };
  for (const [id, n] of Object.entries(d.state.nodes)) {
    if (n.status === 'scheduled' || n.status === 'running') work.jobs.push(id);
    if (
      n.map &&
      Object.values(n.map.iterations).some(
        (it) => it.status === 'scheduled' || it.status === 'running',
      )
    )
      work.jobs.push(id);
    if (n.childRunId && n.status === 'waiting') work.children.push(n.childRunId);
  }
  return work;
}

export function releaseInFlight(d: Decider, work: InFlightWork): void {
  if (work.jobs.length > 0)
    d.command({ type: 'abortJobs', runId: d.state.runId, nodeIds: work.jobs });
  for (const timerId of work.timers) d.command({ type: 'cancelTimer', timerId });
  for (const childRunId of work.children) d.command({ type: 'cancelChild', childRunId });
}

export function notifyParent(
  d: Decider,
  status: 'completed' | 'failed' | 'cancelled',
  output?: CasRef,
  error?: ErrorData,
): void {
  const parent = d.state.parent;
  if (!parent) return;
  const exceeded = d.state.budgetExceeded;
  d.command({
    type: 'notifyParent',
    parent,
    childRunId: d.state.runId,
    status,
    ...(output ? { output } : {}),
    ...(error ? { error } : {}),
    // What the child spent counts toward its parent's budget (recorded on the parent's node).
    usage: childUsage(d.state.usage),
    ...(exceeded ? { budgetExceeded: { ...exceeded } } : {}),
  });
}
