import { serverLimits } from '../limits.js';
import type { CasRef } from '../content/ref.js';
import { truthy } from '../expr/index.js';
import { AobError, toErrorData } from '../errors.js';
import type { ErrorData } from '../errors.js';
import type { IRNode } from '../ir/types.js';
import type { NodeJob } from './messages.js';
import type { Decider } from './decider.js';
import type { NodeState } from './state.js';
import { FINISHED, isRunOver } from './state.js';
import { descendantsOf } from './graph.js';
import { failRun, notifyParent } from './ending.js';
import { budgetPaused, mayExecute } from './budget-check.js';
import { askFromNode } from './ask.js';
import { anyInFlight, anyPredecessorUnfinished, isInFlight } from './scan-hints.js';
import type { NodeUsage } from './budget.js';
import { budgetLeft, inheritedBudget } from './budget.js';

/**
 * Moves the run forward after its state changed: schedules every node that became ready, skips
 * every node none of whose incoming edges can be taken any more (skips propagate), then checks
 * for completion (exactly once) or a wait on people.
 */
export function advance(d: Decider, touched: readonly number[] | 'all', rescanned = false): void {
  if (isRunOver(d.state)) return;
  const { ir } = d;
  const queue: number[] = [];
  if (touched === 'all') queue.push(...ir.topo);
  else for (const i of touched) for (const e of ir.out[i] ?? []) queue.push(ir.edges[e]!.to);
  while (queue.length > 0 && !isRunOver(d.state)) {
    const i = queue.shift()!;
    const n = ir.nodes[i]!;
    if ((d.state.nodes[n.id]?.status ?? 'pending') !== 'pending') continue;
    const verdict = readiness(d, i);
    if (verdict === 'wait') continue;
    if (verdict === 'skip')
      d.emit('NodeSkipped', { nodeId: n.id, reason: 'no incoming edge taken' });
    else start(d, n);
    if (FINISHED.has(d.state.nodes[n.id]?.status ?? 'pending')) {
      for (const e of ir.out[i] ?? []) queue.push(ir.edges[e]!.to);
    }
  }
  settle(d, rescanned);
}

/** Whether a pending node can run, must be skipped, or must wait for its predecessors. */
function readiness(d: Decider, i: number): 'run' | 'skip' | 'wait' {
  const { ir, state } = d;
  const incoming = ir.in[i] ?? [];
  const n = ir.nodes[i]!;
  if (incoming.length === 0) return 'run';
  const mode = n.join?.mode ?? 'all';
  // All of them: one predecessor not finished decides it, found without walking every edge.
  if (mode === 'all' && anyPredecessorUnfinished(ir, state, i)) return 'wait';
  let taken = 0;
  let unresolved = 0;
  const seen = new Set<number>();
  for (const e of incoming) {
    const from = ir.edges[e]!.from;
    if (seen.has(from)) continue;
    seen.add(from);
    const src = state.nodes[ir.nodes[from]!.id];
    if (!src || !FINISHED.has(src.status)) unresolved += 1;
    else if (src.route?.includes(n.id)) taken += 1;
  }
  if (mode === 'any') return taken >= 1 ? 'run' : unresolved === 0 ? 'skip' : 'wait';
  if (mode === 'n') {
    const need = n.join?.n ?? 1;
    if (taken >= need) return 'run';
    return taken + unresolved < need ? 'skip' : 'wait';
  }
  if (unresolved > 0) return 'wait';
  return taken > 0 ? 'run' : 'skip';
}

/** The value a node receives: its `input` expression, the run inputs, or its predecessors' outputs. */
function nodeInput(d: Decider, n: IRNode): unknown {
  if (n.input) return n.input.evaluate(d.context());
  const incoming = d.ir.in[n.index] ?? [];
  if (incoming.length === 0) return d.state.inputs ? d.resolve(d.state.inputs) : {};
  const input: Record<string, unknown> = {};
  for (const e of incoming) {
    const src = d.ir.nodes[d.ir.edges[e]!.from]!;
    const s = d.state.nodes[src.id];
    if (!s?.route?.includes(n.id)) continue;
    if (s.status === 'succeeded' && s.output) input[src.id] = d.resolve(s.output);
    else if (s.status === 'failed') input[src.id] = { error: s.error };
  }
  return input;
}

function start(d: Decider, n: IRNode): void {
  let input: unknown;
  let config: Record<string, unknown>;
  try {
    input = nodeInput(d, n);
    config = n.map
      ? {}
      : (((n.with.isStatic ? n.with.source : n.with.evaluate(d.context())) as Record<
          string,
          unknown
        >) ?? {});
  } catch (err) {
    failNodeForGood(d, n, toErrorData(err, 'EXPRESSION_ERROR'), 1);
    return;
  }
  const inputRef = d.blob(input);
  const inputHash = d.hashOf({ type: n.type, config, input });
  if (reuseRecorded(d, n, inputHash)) return;
  if (!mayExecute(d)) return;

  const scheduled = { nodeId: n.id, attempt: 1, input: inputRef, inputHash, priority: n.priority };
  switch (n.type) {
    case 'map':
      startMap(d, n, scheduled);
      return;
    case 'timer': {
      d.emit('NodeScheduled', scheduled);
      let dueAt: number;
      if (typeof config.durationMs === 'number') dueAt = d.env.now + config.durationMs;
      else dueAt = Date.parse(String(config.until));
      if (!Number.isFinite(dueAt)) {
        failNodeForGood(
          d,
          n,
          {
            code: 'BAD_TIMER',
            message: `timer ${n.id}: cannot read a time from ${JSON.stringify(config.until)}`,
            retryable: false,
          },
          1,
        );
        return;
      }
      const timerId = d.env.newId('timer');
      d.emit('TimerScheduled', { timerId, nodeId: n.id, dueAt, purpose: 'timer' });
      d.command({ type: 'scheduleTimer', timerId, dueAt });
      return;
    }
    case 'approval': {
      d.emit('NodeScheduled', scheduled);
      const approvers = (config.approvers as string[] | undefined) ?? [];
      const quorum = typeof config.quorum === 'number' ? config.quorum : 1;
      const ticketId = d.env.newId('ticket');
      const timeoutMs = typeof config.timeoutMs === 'number' ? config.timeoutMs : undefined;
      const message = typeof config.message === 'string' ? { message: config.message } : {};
      if (timeoutMs !== undefined) {
        const timerId = d.env.newId('timer');
        const dueAt = d.env.now + timeoutMs;
        d.emit('ApprovalRequested', {
          ticketId,
          nodeId: n.id,
          approvers,
          quorum,
          dueAt,
          timerId,
          ...message,
        });
        d.command({ type: 'scheduleTimer', timerId, dueAt });
      } else {
        d.emit('ApprovalRequested', { ticketId, nodeId: n.id, approvers, quorum, ...message });
      }
      return;
    }
    case 'ask': {
      d.emit('NodeScheduled', scheduled);
      const problem = askFromNode(d, n, config);
      if (problem) failNodeForGood(d, n, problem, 1);
      return;
    }
    case 'subworkflow': {
      d.emit('NodeScheduled', scheduled);
      const childRunId = d.env.newId('run');
      const workflow = String(config.workflow);
      d.emit('ChildRunStarted', { nodeId: n.id, childRunId, workflow });
      // The child is held to what this run has left, by this run's policy (and its own budget).
      const budget = inheritedBudget(d.state.budget, d.state.usage, d.state.startedAt, d.env.now);
      d.command({
        type: 'startChild',
        childRunId,
        workflow,
        inputs: config.inputs !== undefined ? config.inputs : input,
        parent: { runId: d.state.runId, nodeId: n.id },
        ...(budget ? { budget } : {}),
      });
      return;
    }
    default:
      d.emit('NodeScheduled', scheduled);
      d.command({ type: 'dispatch', job: jobFor(d, n, 1, undefined, config, input, inputRef) });
  }
}

function startMap(
  d: Decider,
  n: IRNode,
  scheduled: {
    nodeId: string;
    attempt: number;
    input: CasRef;
    inputHash: string;
    priority: IRNode['priority'];
  },
): void {
  let items: unknown;
  try {
    items = n.map!.items.evaluate(d.context());
  } catch (err) {
    failNodeForGood(d, n, toErrorData(err, 'EXPRESSION_ERROR'), 1);
    return;
  }
  if (items === undefined || items === null) items = [];
  if (!Array.isArray(items)) items = [items];
  const list = items as unknown[];
  const maxItems = serverLimits().maxMapItems;
  if (list.length > maxItems) {
    failNodeForGood(
      d,
      n,
      {
        code: 'MAP_LIMIT',
        message: `map node ${n.id}: ${list.length} items exceed this server's limit of ${maxItems} (AOB_LIMIT_MAP_ITEMS)`,
        retryable: false,
      },
      1,
    );
    return;
  }
  d.emit('NodeScheduled', { ...scheduled, input: d.blob(list), items: list.length });
  if (list.length === 0) {
    finishMap(d, n);
    return;
  }
  const first = Math.min(n.map!.concurrency, list.length);
  for (let i = 0; i < first; i++) startIteration(d, n, i, list);
}

export function startIteration(d: Decider, n: IRNode, index: number, list?: unknown[]): void {
  if (!mayExecute(d)) return;
  const st = d.state.nodes[n.id]!;
  const items = list ?? (d.resolve(st.input!) as unknown[]);
  const item = items[index];
  const body = n.map!.body;
  const ctx = { ...d.context(), item, index };
  let input: unknown;
  let config: Record<string, unknown>;
  try {
    input = body.input ? body.input.evaluate(ctx) : item;
    config = (body.with.isStatic ? body.with.source : body.with.evaluate(ctx)) as Record<
      string,
      unknown
    >;
  } catch (err) {
    failNodeForGood(d, n, toErrorData(err, 'EXPRESSION_ERROR'), st.attempt || 1);
    return;
  }
  const inputRef = d.blob(input);
  const inputHash = d.hashOf({ type: body.type, config, input });
  d.emit('NodeScheduled', {
    nodeId: n.id,
    iteration: index,
    attempt: 1,
    input: inputRef,
    inputHash,
    priority: body.priority,
  });
  d.command({ type: 'dispatch', job: jobFor(d, n, 1, index, config ?? {}, input, inputRef) });
}

/** Emits the map's own success once every iteration has succeeded. */
export function finishMap(d: Decider, n: IRNode): void {
  const st = d.state.nodes[n.id]!;
  const map = st.map!;
  const outputs: unknown[] = [];
  for (let i = 0; i < map.total; i++) {
    const it = map.iterations[i];
    outputs.push(it?.output ? d.resolve(it.output) : null);
  }
  succeedNode(d, n, d.blob(outputs), st.attempt || 1, ['success']);
}

/**
 * A node's (or map item's) `with` block evaluated against the run as it is now: deterministic,
 * so re-evaluating it gives the config the attempt was scheduled with.
 */
export function configOf(d: Decider, n: IRNode, iteration?: number): Record<string, unknown> {
  const body = iteration === undefined ? n : n.map!.body;
  let ctx = d.context();
  if (iteration !== undefined) {
    const items = d.resolve(d.state.nodes[n.id]!.input!) as unknown[];
    ctx = { ...ctx, item: items[iteration], index: iteration };
  }
  const config = (body.with.isStatic ? body.with.source : body.with.evaluate(ctx)) as
    Record<string, unknown> | undefined;
  return config ?? {};
}

/**
 * Rebuilds the job for an attempt in flight from the recorded input. An agent's attempt that was
 * answered goes on from the state it saved when it asked (`resume`).
 */
export function rebuildJob(
  d: Decider,
  n: IRNode,
  iteration: number | undefined,
  attempt: number,
): NodeJob {
  const s = d.state.nodes[n.id]!;
  const unit = iteration === undefined ? s : s.map!.iterations[iteration]!;
  const input = d.resolve(unit.input!);
  const job = jobFor(d, n, attempt, iteration, configOf(d, n, iteration), input, unit.input!);
  const q = unit.question;
  if (q?.resume && q.answered) {
    job.resume = {
      questionId: q.questionId,
      state: q.resume,
      answer: q.answered.answer,
      by: q.answered.by,
    };
  }
  return job;
}

export function jobFor(
  d: Decider,
  n: IRNode,
  attempt: number,
  iteration: number | undefined,
  config: Record<string, unknown>,
  input: unknown,
  inputRef: CasRef,
): NodeJob {
  const body = iteration === undefined ? n : n.map!.body;
  const job: NodeJob = {
    runId: d.state.runId,
    nodeId: n.id,
    attempt,
    irHash: d.ir.irHash,
    type: body.type,
    config,
    input,
    inputRef,
    timeoutMs: body.timeoutMs,
    priority: body.priority,
    idempotencyKey: `${d.state.runId}:${n.id}${iteration === undefined ? '' : `[${iteration}]`}`,
  };
  if (iteration !== undefined) job.iteration = iteration;
  // A map body has no mark of its own (MapBody omits `memo`); a marked node's job says so.
  if (iteration === undefined && n.definition.memo === true) job.memo = true;
  if (d.ir.definition.fidelity === 'fast') job.quiet = true;
  // What may spend is told what the run has left, so its runner can stop it there.
  const left = SPENDING_TYPES.has(body.type)
    ? budgetLeft(d.state.budget, d.state.usage)
    : undefined;
  if (left) job.budgetLeft = left;
  return job;
}

/** Node types whose attempts spend tokens (and report them as `usage`). */
const SPENDING_TYPES: ReadonlySet<string> = new Set(['llm', 'agent']);

/** Targets of the outgoing edges taken for the given outcome ports. */
export function routeFrom(d: Decider, n: IRNode, ports: readonly string[]): string[] {
  const targets: string[] = [];
  for (const e of d.ir.out[n.index] ?? []) {
    const edge = d.ir.edges[e]!;
    if (!ports.includes(edge.on)) continue;
    if (edge.when && !truthy(edge.when.evaluate(d.context()))) continue;
    const to = d.ir.nodes[edge.to]!.id;
    if (!targets.includes(to)) targets.push(to);
  }
  return targets;
}

export function succeedNode(
  d: Decider,
  n: IRNode,
  output: CasRef,
  attempt: number,
  ports: string[],
  reused?: 'recorded' | 'frozen',
  usage?: NodeUsage,
): void {
  // The output must be visible to guards on the node's own edges.
  d.emit('NodeSucceeded', {
    nodeId: n.id,
    attempt,
    output,
    ports,
    route: [],
    ...(reused ? { reused } : {}),
    ...(usage ? { usage } : {}),
  });
  let route: string[];
  try {
    route = routeFrom(d, n, ports);
  } catch (err) {
    failRun(d, toErrorData(err, 'EXPRESSION_ERROR'), n.id);
    return;
  }
  d.state.nodes[n.id]!.route = route;
  const last = d.events[d.events.length - 1];
  if (last?.type === 'NodeSucceeded') last.data.route = route;
}

/** A node that has failed for good: caught by a `failure` edge, or the end of the run. */
export function failNodeForGood(
  d: Decider,
  n: IRNode,
  error: ErrorData,
  attempt: number,
  reused?: 'recorded',
  usage?: NodeUsage,
): void {
  const hasFailureEdge = (d.ir.out[n.index] ?? []).some((e) => d.ir.edges[e]!.on === 'failure');
  d.emit('NodeFailed', {
    nodeId: n.id,
    attempt,
    error,
    final: true,
    handled: false,
    route: [],
    ...(reused ? { reused } : {}),
    ...(usage ? { usage } : {}),
  });
  let route: string[] = [];
  if (hasFailureEdge) {
    try {
      route = routeFrom(d, n, ['failure']);
    } catch (err) {
      failRun(d, toErrorData(err, 'EXPRESSION_ERROR'), n.id);
      return;
    }
  }
  const st = d.state.nodes[n.id]!;
  const last = d.events[d.events.length - 1];
  if (route.length > 0) {
    st.route = route;
    st.handled = true;
    if (last?.type === 'NodeFailed') {
      last.data.route = route;
      last.data.handled = true;
    }
    return;
  }
  failRun(d, error, n.id);
}

/** Completion (exactly once: only while the run is not over) and waiting on people. */
function settle(d: Decider, rescanned: boolean): void {
  // A run paused by its budget said so when it paused; it moves again when the limit is raised.
  if (isRunOver(d.state) || budgetPaused(d.state)) return;
  const { ir, state } = d;
  // A node in flight means nothing to do here: the run is not complete, and it neither waits on
  // people nor is stuck. Found without walking the graph (scan-hints.ts), which after every
  // result made a decision's cost grow with the graph.
  if (anyInFlight(ir, state, touchedNodes(d))) return;
  let allFinished = true;
  let busy = false;
  const tickets: string[] = [];
  const questions: string[] = [];
  for (const n of ir.nodes) {
    const s: NodeState | undefined = state.nodes[n.id];
    if (!s || !FINISHED.has(s.status)) allFinished = false;
    if (!s) continue;
    if (isInFlight(s)) busy = true;
    else if (s.status === 'waiting') {
      // Not in flight: waiting on a person, by a ticket or by a question.
      if (s.ticket && !s.ticket.decided) tickets.push(s.ticket.ticketId);
      else if (s.question) questions.push(s.question.questionId);
    }
  }
  if (allFinished) {
    let output: unknown;
    try {
      output = ir.output ? ir.output.evaluate(d.context()) : defaultOutput(d);
    } catch (err) {
      failRun(d, toErrorData(err, 'EXPRESSION_ERROR'));
      return;
    }
    const ref = d.blob(output === undefined ? null : output);
    d.emit('RunCompleted', { output: ref });
    notifyParent(d, 'completed', ref);
    return;
  }
  const onPeople = tickets.length + questions.length > 0;
  if (!busy && onPeople && state.status !== 'waiting') {
    d.emit('RunWaiting', { tickets, ...(questions.length > 0 ? { questions } : {}) });
  }
  if (!busy && !onPeople && !allFinished) {
    // A node may have become ready outside the touched set (e.g. after the graph changed).
    if (!rescanned) {
      advance(d, 'all', true);
      return;
    }
    // Nothing can move: a defect in readiness rules would otherwise hang the run forever.
    failRun(d, new AobError('STUCK', 'no node can make progress').toData());
  }
}

/** The nodes this decision's events are about, most recent first. */
function* touchedNodes(d: Decider): Generator<string> {
  for (let k = d.events.length - 1; k >= 0; k--) {
    const nodeId = (d.events[k]!.data as { nodeId?: unknown }).nodeId;
    if (typeof nodeId === 'string') yield nodeId;
  }
}

/** Without an `output` expression: the single sink's output, or `{ sinkId: output }` for several. */
function defaultOutput(d: Decider): unknown {
  const sinks = d.ir.nodes.filter((n) => (d.ir.out[n.index] ?? []).length === 0);
  const done = sinks.filter((n) => d.state.nodes[n.id]?.status === 'succeeded');
  if (sinks.length === 1) {
    const s = d.state.nodes[sinks[0]!.id];
    return s?.status === 'succeeded' && s.output ? d.resolve(s.output) : null;
  }
  const out: Record<string, unknown> = {};
  for (const n of done) out[n.id] = d.resolve(d.state.nodes[n.id]!.output!);
  return out;
}

/** Replays reuse recorded results: upstream of --from always, downstream in freeze mode when the input is unchanged. */
function reuseRecorded(d: Decider, n: IRNode, inputHash: string): boolean {
  const replay = d.state.replay;
  if (!replay) return false;
  const rec = replay.recorded[n.id];
  if (!rec) return false;
  const downstream = descendantsOf(d.ir, replay.fromNode);
  let reused: 'recorded' | 'frozen';
  if (!downstream.has(n.id)) reused = 'recorded';
  else if (
    replay.mode === 'freeze' &&
    n.id !== replay.fromNode &&
    rec.inputHash === inputHash &&
    rec.outcome === 'succeeded'
  )
    reused = 'frozen';
  else return false;
  if (rec.outcome === 'succeeded' && rec.output)
    succeedNode(d, n, rec.output, 0, rec.ports ?? ['success'], reused);
  else
    failNodeForGood(
      d,
      n,
      rec.error ?? {
        code: 'RECORDED_FAILURE',
        message: 'failed in the original run',
        retryable: false,
      },
      0,
      'recorded',
    );
  return true;
}
