// One node of a run, as a person inspecting it wants it: what it received, what it produced or
// why it failed, and what each attempt did. The values are resolved from the content store; the
// references stay alongside them so a client can fetch one value again on its own.
import type { AttemptView, NodeDetail } from '@aob/client';
import type { AnyRunEvent, CasRef, RunState } from '@aob/core';

export type { AttemptView, NodeDetail };
import { AobError } from '@aob/core';

/** The attempts of `nodeId` in the order they began, each with how it ended. */
export function attemptHistory(events: readonly AnyRunEvent[], nodeId: string): AttemptView[] {
  const byKey = new Map<string, AttemptView>();
  const of = (attempt: number, iteration: number | undefined): AttemptView => {
    const key = `${iteration ?? ''}/${attempt}`;
    let view = byKey.get(key);
    if (!view) {
      view = { attempt, ...(iteration !== undefined ? { iteration } : {}), outcome: 'running' };
      byKey.set(key, view);
    }
    return view;
  };
  for (const e of events) {
    switch (e.type) {
      case 'NodeStarted':
        if (e.data.nodeId === nodeId) of(e.data.attempt, e.data.iteration).startedAt ??= e.at;
        break;
      case 'NodeSucceeded':
        if (e.data.nodeId === nodeId) {
          Object.assign(of(e.data.attempt, e.data.iteration), {
            outcome: 'succeeded',
            endedAt: e.at,
          });
        }
        break;
      case 'NodeFailed':
        if (e.data.nodeId === nodeId) {
          Object.assign(of(e.data.attempt, e.data.iteration), {
            outcome: e.data.final ? 'failed' : 'retrying',
            endedAt: e.at,
            error: e.data.error,
          });
        }
        break;
      default:
        break;
    }
  }
  return [...byKey.values()];
}

/** The detail of `nodeId` in `state`, values resolved by `resolve`. */
export async function nodeDetail(
  state: RunState,
  events: readonly AnyRunEvent[],
  node: { id: string; type: string },
  resolve: (ref: CasRef) => Promise<unknown>,
): Promise<NodeDetail> {
  const n = Object.hasOwn(state.nodes, node.id) ? state.nodes[node.id] : undefined;
  const detail: NodeDetail = {
    runId: state.runId,
    nodeId: node.id,
    type: node.type,
    status: n?.status ?? 'pending',
    attempts: n?.attempt ?? 0,
    history: attemptHistory(events, node.id),
  };
  if (!n) return detail;
  if (n.input) {
    detail.inputRef = n.input.$cas;
    detail.input = await resolve(n.input);
  }
  if (n.output) {
    detail.outputRef = n.output.$cas;
    detail.output = await resolve(n.output);
  }
  if (n.error) detail.error = n.error;
  if (n.reused) detail.reused = n.reused;
  if (n.childRunId) detail.childRunId = n.childRunId;
  if (n.ticket) detail.ticketId = n.ticket.ticketId;
  if (n.map) {
    const iterations = Object.values(n.map.iterations);
    detail.map = {
      total: n.map.total,
      done: n.map.done,
      failed: iterations.filter((i) => i.status === 'failed').length,
    };
  }
  return detail;
}

/** NODE_NOT_FOUND naming the nodes the run has. */
export function unknownNode(runId: string, nodeId: string, known: readonly string[]): AobError {
  return new AobError(
    'NODE_NOT_FOUND',
    `run ${runId} has no node ${JSON.stringify(nodeId)} (its nodes: ${known.join(', ')})`,
  );
}

/** Every content reference a run's state holds: what a client may read of that run. */
export function runRefs(state: RunState): Map<string, CasRef> {
  const refs = new Map<string, CasRef>();
  const add = (r: CasRef | undefined) => r && refs.set(r.$cas, r);
  // The run's graphs (its definition as started, and as each patch made it): a reader of the
  // run may see the graph it runs on (the canvas draws it).
  const graph = (hash: string | undefined) =>
    hash && refs.set(hash, { $cas: hash as CasRef['$cas'], size: 0 });
  graph(state.irHash);
  for (const p of state.patches) {
    graph(p.baseIrHash);
    graph(p.irHash);
  }
  add(state.inputs);
  add(state.output);
  // A suspended agent's saved state too: the runner that resumes it reads it with its job token.
  for (const n of Object.values(state.nodes)) {
    add(n.input);
    add(n.output);
    add(n.question?.resume);
    for (const i of Object.values(n.map?.iterations ?? {})) {
      add(i.input);
      add(i.output);
      add(i.question?.resume);
    }
  }
  return refs;
}
