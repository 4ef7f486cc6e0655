// The pure half of the PostgreSQL group commit: given the appends of one batch (in queue order)
// and the locked state of their runs, decide which appends are accepted, which conflict, and what
// the batch writes. No I/O here, so the rules can be read (and tested) apart from the SQL.
//
// Each append keeps its own seq check against its run's state *as the batch has moved it*, so
// appends pipelined to one run (expected 0, 1, 2, …) are all accepted in one batch, and of several
// appends at the same seq exactly the first in the queue is.
import type { AobError } from '@aob/core';
import type { AnyNewEvent, AnyRunEvent } from '@aob/core';
import { seqConflict } from './errors.js';
import type { PreparedAppend, RunStart } from './run-log.js';

/** An outbox message, JSON already serialised. */
export interface QueuedOutbox {
  topic: string;
  key: string;
  payload: string;
  headers: string;
  /** Committed already claimed (see OutboxStore.appendWithOutbox's `claim`), or null. */
  claimedBy: string | null;
  leaseMs: number | null;
}

/** An append waiting for the next group commit, with the outbox rows it commits with. */
export interface QueuedAppend extends PreparedAppend {
  outbox: readonly QueuedOutbox[];
  resolve: (events: AnyRunEvent[]) => void;
  reject: (err: unknown) => void;
}

/** A run row as the batch found it, under its row lock (or as it expects it: optimisticPlan). */
export interface LockedRun {
  lastSeq: number;
  /** Null: not read; a summary the batch gives no status keeps the one it has. */
  status: string | null;
}

interface RunState {
  exists: boolean;
  lastSeq: number;
  status: string | null;
  irHash: string;
  updatedAt: number;
  /** Set when this batch creates the run. */
  start: RunStart | undefined;
  /** The batch advances (or creates) it. */
  dirty: boolean;
}

export interface BatchPlan {
  /** Per append, in batch order: undefined if accepted, else why not. */
  outcomes: (AobError | undefined)[];
  states: Map<string, RunState>;
}

export function planBatch(
  batch: readonly QueuedAppend[],
  locked: ReadonlyMap<string, LockedRun>,
): BatchPlan {
  const states = new Map<string, RunState>();
  const outcomes = batch.map((a): AobError | undefined => {
    let st = states.get(a.runId);
    if (st === undefined) {
      const row = locked.get(a.runId);
      st = {
        exists: row !== undefined,
        lastSeq: row?.lastSeq ?? 0,
        // A new run starts running; one whose status was not read keeps its own (null).
        status: row === undefined ? 'running' : row.status,
        irHash: a.irHash,
        updatedAt: 0,
        start: undefined,
        dirty: false,
      };
      states.set(a.runId, st);
    }
    if (a.expectedSeq !== st.lastSeq) return seqConflict(a.runId, a.expectedSeq, st.lastSeq);
    const n = a.events.length;
    if (n === 0) return undefined; // a seq check only
    if (st.lastSeq === 0) {
      // Only a run that does not exist yet has last seq 0 (a run is created with its first events).
      if (a.startError !== undefined) return a.startError;
      st.start = a.start;
    }
    st.lastSeq += n;
    st.status = a.status ?? st.status;
    st.irHash = a.irHash;
    st.updatedAt = (a.events[n - 1] as AnyNewEvent).at;
    st.dirty = true;
    return undefined;
  });
  return { outcomes, states };
}

/**
 * Turns every accepted append to the runs of `lastSeqOf` into a conflict: another writer created
 * those runs first (with the given last seqs), so nothing of this batch is written to them.
 */
export function loseRuns(
  batch: readonly QueuedAppend[],
  plan: BatchPlan,
  lastSeqOf: ReadonlyMap<string, number>,
): void {
  batch.forEach((a, i) => {
    const lastSeq = lastSeqOf.get(a.runId);
    if (lastSeq !== undefined && plan.outcomes[i] === undefined) {
      plan.outcomes[i] = seqConflict(a.runId, a.expectedSeq, lastSeq);
    }
  });
  for (const runId of lastSeqOf.keys()) plan.states.delete(runId);
}

/** The new runs of a plan as column arrays for `createRuns`, in queue order. */
export function createColumns(plan: BatchPlan): unknown[] {
  const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
  for (const [runId, st] of plan.states) {
    if (st.exists || st.start === undefined) continue;
    const row = [
      runId,
      st.start.workflow,
      st.irHash,
      st.status,
      st.start.startedAt,
      st.updatedAt,
      st.lastSeq,
      st.start.parentRunId ?? null,
      st.start.namespace,
    ];
    row.forEach((v, c) => (cols[c] as unknown[]).push(v));
  }
  return cols;
}

/** The writes of the accepted appends as the 21 column arrays of `writeBatch`. */
export function writeColumns(batch: readonly QueuedAppend[], plan: BatchPlan): unknown[] {
  const runs: unknown[][] = [[], [], [], [], []];
  for (const [runId, st] of plan.states) {
    if (!st.exists || !st.dirty) continue;
    [runId, st.lastSeq, st.updatedAt, st.irHash, st.status].forEach((v, c) =>
      (runs[c] as unknown[]).push(v),
    );
  }
  const events: unknown[][] = [[], [], [], [], [], [], [], []];
  const outbox: unknown[][] = [[], [], [], [], [], []];
  const keys: unknown[][] = [[], []];
  batch.forEach((a, i) => {
    if (plan.outcomes[i] !== undefined) return;
    a.events.forEach((e, j) => {
      const row = [
        a.runId,
        a.expectedSeq + j + 1,
        e.type,
        e.at,
        e.irHash ?? a.irHash,
        a.data[j],
        e.actor ?? null,
        e.traceparent ?? null,
      ];
      row.forEach((v, c) => (events[c] as unknown[]).push(v));
    });
    for (const key of a.keys) {
      (keys[0] as unknown[]).push(key);
      (keys[1] as unknown[]).push(a.runId);
    }
    for (const m of a.outbox) {
      [m.topic, m.key, m.payload, m.headers, m.claimedBy, m.leaseMs].forEach((v, c) =>
        (outbox[c] as unknown[]).push(v),
      );
    }
  });
  return [...runs, ...events, ...outbox, ...keys];
}

/**
 * The plan of a batch on the runs as its appends expect them, for a write guarded by exactly
 * that (`guardedWriteBatch`): a run whose first append expects a seq above 0 exists with that last
 * seq, and one whose first append expects 0 does not exist yet (the batch creates it). Undefined
 * when some append would fail however the runs stand (its appends to one run do not follow each
 * other, or a start is refused): those batches are planned under their locks.
 */
export function optimisticPlan(batch: readonly QueuedAppend[]):
  | {
      plan: BatchPlan;
      /** Runs that must exist, each with its last seq. */
      runIds: string[];
      lastSeqs: number[];
      /** Runs that must not exist yet. */
      newRunIds: string[];
    }
  | undefined {
  const expected = new Map<string, LockedRun>();
  const absent = new Set<string>();
  for (const a of batch) {
    if (expected.has(a.runId) || absent.has(a.runId)) continue;
    if (a.expectedSeq === 0) absent.add(a.runId);
    else expected.set(a.runId, { lastSeq: a.expectedSeq, status: null });
  }
  const plan = planBatch(batch, expected);
  if (plan.outcomes.some((o) => o !== undefined)) return undefined;
  return {
    plan,
    runIds: [...expected.keys()],
    lastSeqs: [...expected.values()].map((r) => r.lastSeq),
    newRunIds: [...absent],
  };
}

/** Runs of the plan this batch creates. */
export function createdRunIds(plan: BatchPlan): string[] {
  const ids: string[] = [];
  for (const [runId, st] of plan.states) if (!st.exists && st.start !== undefined) ids.push(runId);
  return ids;
}
