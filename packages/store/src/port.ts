// Store ports: the event store (append-only run logs with optimistic concurrency, run summaries,
// workflow registry, per-run driver leases, an inbox of run commands) and the content store.
// Each has an in-memory reference adapter and a durable one; one conformance suite covers both.
import type { AnyNewEvent, AnyRunEvent, CasRef, Content, RunStatus } from '@aob/core';

export interface RunSummary {
  runId: string;
  workflow: string; // "name@version"
  irHash: string;
  status: RunStatus;
  startedAt: number;
  updatedAt: number;
  lastSeq: number;
  parentRunId?: string;
}

export interface WorkflowRecord {
  name: string;
  version: string;
  irHash: string;
  registeredAt: number;
}

/** A command written by any process for the process that drives the run (approve, cancel, …). */
export interface InboxCommand {
  id: number;
  runId: string;
  type: string;
  payload: unknown;
  at: number;
}

export interface Lease {
  runId: string;
  owner: string;
  expiresAt: number;
}

export interface EventStore {
  /**
   * Appends events to a run whose last seq is `expectedSeq` (0 for a new run), atomically, with
   * dense seqs from expectedSeq+1. If another writer got there first, throws an error with code
   * `SEQ_CONFLICT` and appends nothing. Updates the run summary in the same transaction.
   */
  append(
    runId: string,
    irHash: string,
    expectedSeq: number,
    events: readonly AnyNewEvent[],
  ): Promise<AnyRunEvent[]>;
  /** Events of a run from seq `fromSeq` (default 1), in order. */
  read(runId: string, fromSeq?: number): Promise<AnyRunEvent[]>;
  getRun(runId: string): Promise<RunSummary | undefined>;
  listRuns(filter?: { status?: RunStatus[]; limit?: number }): Promise<RunSummary[]>;

  putWorkflow(record: WorkflowRecord): Promise<void>;
  getWorkflow(name: string, version?: string): Promise<WorkflowRecord | undefined>;
  listWorkflows(): Promise<WorkflowRecord[]>;

  /** Takes or renews the lease on driving a run; false if someone else holds an unexpired one. */
  acquireLease(runId: string, owner: string, ttlMs: number, now: number): Promise<boolean>;
  /** Extends every lease `owner` holds (one write however many runs it drives). */
  renewLeases(owner: string, ttlMs: number, now: number): Promise<void>;
  releaseLease(runId: string, owner: string): Promise<void>;
  getLease(runId: string): Promise<Lease | undefined>;

  enqueueCommand(runId: string, type: string, payload: unknown, at: number): Promise<number>;
  /** Commands not yet applied, oldest first: a run's, or (without runId) every run's. */
  pendingCommands(runId?: string): Promise<InboxCommand[]>;
  /** Marks commands as applied (their effect is in the log). */
  completeCommands(ids: readonly number[]): Promise<void>;

  close(): Promise<void>;
}

export interface ContentStore {
  /**
   * Stores a value under the sha256 of its canonical JSON; idempotent. `known` is the value's
   * content when the caller has already computed it (it is trusted: pass only what a
   * `contentOf` implementation returned for this very value).
   */
  put(value: unknown, known?: Content): Promise<CasRef>;
  get(ref: CasRef): Promise<unknown>;
  has(ref: CasRef): Promise<boolean>;
  close(): Promise<void>;
}
