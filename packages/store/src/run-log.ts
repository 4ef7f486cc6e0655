// Rules every EventStore adapter applies to an append, kept in one place so the adapters cannot
// drift: how an envelope is built, what the first append must contain, how the summary status moves.
import { statusAfter } from '@aob/core';
import type { AnyNewEvent, AnyRunEvent, AobError, RunEvent, RunStatus } from '@aob/core';
import { invalidAppend } from './errors.js';

/** The persisted envelope; optional fields are present only when set (as a JSON round trip gives). */
export function toEnvelope(
  runId: string,
  irHash: string,
  seq: number,
  e: AnyNewEvent,
): AnyRunEvent {
  // An event decided on another IR than the append's (a patch switched it) keeps its own.
  const env: RunEvent = {
    runId,
    seq,
    irHash: e.irHash ?? irHash,
    type: e.type,
    at: e.at,
    data: e.data,
  };
  if (e.actor !== undefined) env.actor = e.actor;
  if (e.traceparent !== undefined) env.traceparent = e.traceparent;
  return env as AnyRunEvent;
}

/** The namespace of runs whose RunStarted names none (runs from before namespaces existed). */
export const DEFAULT_NAMESPACE = 'default';

export interface RunStart {
  workflow: string; // "name@version"
  parentRunId?: string;
  namespace: string;
  startedAt: number;
}

/**
 * What the first append of a run (expectedSeq 0) tells its summary. A run's log opens with
 * RunStarted at seq 1; anything else is a caller bug, not a conflict, so it is not retryable.
 */
export function runStart(runId: string, events: readonly AnyNewEvent[]): RunStart {
  const first = events[0];
  if (first?.type !== 'RunStarted') {
    throw invalidAppend(runId, `a run's first event must be RunStarted, got ${first?.type}`);
  }
  const { workflow, parent, namespace } = first.data;
  const start: RunStart = {
    workflow: `${workflow.name}@${workflow.version}`,
    namespace: namespace ?? DEFAULT_NAMESPACE,
    startedAt: first.at,
  };
  if (parent !== undefined) start.parentRunId = parent.runId;
  return start;
}

/** The status the run is left in by these events, or undefined if none of them changes it. */
export function statusAfterAll(events: readonly AnyNewEvent[]): RunStatus | undefined {
  let status: RunStatus | undefined;
  for (const e of events) status = statusAfter(e.type) ?? status;
  return status;
}

/** What a run's id can be found by, across runs (see RunLogStore.findRun). */
export type RunKeyKind = 'patch' | 'ticket' | 'question';

/** The index key of a patch, ticket or question id: one table holds every kind. */
export function runKey(kind: RunKeyKind, id: string): string {
  return `${kind}:${id}`;
}

/**
 * The index keys these events create: a run patch (by its first event, PatchProposed, or a
 * PatchRejected that stands alone), an approval ticket (ApprovalRequested), a question to people
 * (QuestionAsked). Written in the same transaction as the events, so an id is findable exactly
 * when its run's log shows it.
 */
export function runKeysOf(events: readonly AnyNewEvent[]): string[] {
  const keys: string[] = [];
  for (const e of events) {
    if (e.type === 'PatchProposed' || e.type === 'PatchRejected') {
      keys.push(runKey('patch', e.data.patchId));
    } else if (e.type === 'ApprovalRequested') {
      keys.push(runKey('ticket', e.data.ticketId));
    } else if (e.type === 'QuestionAsked') {
      keys.push(runKey('question', e.data.questionId));
    }
  }
  return keys;
}

/** An append checked and serialised before it is queued for a (group) commit. */
export interface PreparedAppend {
  runId: string;
  irHash: string;
  expectedSeq: number;
  events: readonly AnyNewEvent[];
  /** Each event's data as JSON. */
  data: string[];
  /** What the append resolves to once committed. */
  envelopes: AnyRunEvent[];
  /** For a new run: its summary facts… */
  start: RunStart | undefined;
  /** …or why its first events cannot open a run. */
  startError: AobError | undefined;
  status: RunStatus | undefined;
  /** The index keys the events create (runKeysOf). */
  keys: string[];
}

/**
 * Everything about an append that can fail without the database fails here, before queueing
 * (event data that is not JSON throws INVALID_APPEND). A bad opening event is only recorded: it is
 * reported if the run is really new, and is a conflict otherwise.
 */
export function prepareAppend(
  runId: string,
  irHash: string,
  expectedSeq: number,
  events: readonly AnyNewEvent[],
): PreparedAppend {
  let start: RunStart | undefined;
  let startError: AobError | undefined;
  if (expectedSeq === 0 && events.length > 0) {
    try {
      start = runStart(runId, events);
    } catch (err) {
      startError = err as AobError;
    }
  }
  const data = events.map((e) => toJson(runId, e.data, 'event data'));
  const envelopes = events.map((e, i) => toEnvelope(runId, irHash, expectedSeq + i + 1, e));
  const status = statusAfterAll(events);
  const keys = runKeysOf(events);
  return { runId, irHash, expectedSeq, events, data, envelopes, start, startError, status, keys };
}

/** `value` as JSON text; INVALID_APPEND if it has none (a cycle, a BigInt, undefined, a function). */
export function toJson(runId: string, value: unknown, what = 'value'): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw invalidAppend(runId, `${what} is not JSON: ${(err as Error).message}`);
  }
  if (json === undefined) throw invalidAppend(runId, `${what} is not JSON`);
  return json;
}
