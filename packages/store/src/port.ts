// Store ports: the event store (append-only run logs with optimistic concurrency, run summaries,
// workflow registry, per-run driver leases, an inbox of run commands) and the content store.
// Each has an in-memory reference adapter and a durable one; one conformance suite covers both.
import type { AnyNewEvent, AnyRunEvent, CasRef, Content, RunStatus } from '@aob/core';
import type { RunKeyKind } from './run-log.js';

export type { RunKeyKind } from './run-log.js';

export interface RunSummary {
  runId: string;
  workflow: string; // "name@version"
  irHash: string;
  status: RunStatus;
  startedAt: number;
  updatedAt: number;
  lastSeq: number;
  parentRunId?: string;
  /** The tenant the run belongs to (ARCHITECTURE §9); `default` for runs started without one. */
  namespace: string;
}

/** Which runs `listRuns` returns: newest first, optionally filtered and paged. */
export interface RunFilter {
  /** Absent or empty: any status. */
  status?: RunStatus[];
  namespace?: string;
  limit?: number;
  /** Skips this many matching runs (for paging). */
  offset?: number;
}

export interface WorkflowRecord {
  name: string;
  version: string;
  irHash: string;
  registeredAt: number;
  /**
   * Set when a workflow-scope patch that made this version was reverted: the version stays
   * readable and startable by its full `name@version`, but `getWorkflow(name)` (the latest) skips it.
   */
  retiredAt?: number;
}

/** What became of a workflow-scope patch (ARCHITECTURE §4). Run-scope patches live in their run's log. */
export type WorkflowPatchStatus = 'held' | 'applied' | 'rejected' | 'reverted';

/**
 * A workflow-scope patch: proposed against `workflow@baseVersion`; applied, it registered
 * `workflow@version` (e.g. base `3` → `3.p1`, then `3.p2`), so runs can be started on a chosen
 * patch set and the set rolled back by reverting its newest patch.
 */
export interface WorkflowPatchRecord {
  patchId: string;
  workflow: string;
  baseVersion: string;
  /** The version it registered (applied, reverted) or would register (held). */
  version?: string;
  status: WorkflowPatchStatus;
  author: string;
  rationale?: string;
  ops: unknown[];
  violations: { code: string; path: string; message: string }[];
  /** Why a human must look (held): the findings the policy holds for. */
  reasons?: { code: string; path: string; message: string }[];
  baseIrHash: string;
  irHash?: string;
  proposedAt: number;
  decidedAt?: number;
  /** Who approved, rejected or reverted it, and why. */
  decidedBy?: string;
  reason?: string;
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

/** An API bearer token (ARCHITECTURE §9). Only the sha256 of the token is stored, never the token. */
export interface TokenRecord {
  tokenId: string;
  /** Hex sha256 of the token. */
  hash: string;
  /** Who the token speaks for: a person, a service or an agent. */
  subject: string;
  role: string;
  namespace: string;
  /** Approver groups the subject belongs to (approval tickets may name `group:<name>`). */
  groups: string[];
  createdAt: number;
  createdBy: string;
  revokedAt?: number;
}

export interface TokenStore {
  /** Stores a new token; false (and nothing written) if its id or hash exists already. */
  putToken(record: TokenRecord): Promise<boolean>;
  /** The token with this hash, revoked or not. */
  findToken(hash: string): Promise<TokenRecord | undefined>;
  /** Tokens (of one namespace, or all) in creation order, revoked ones included. */
  listTokens(namespace?: string): Promise<TokenRecord[]>;
  /** Revokes a token that is not revoked yet; false if there is no such live token. */
  revokeToken(tokenId: string, at: number): Promise<boolean>;
}

export interface EventStore extends TokenStore {
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
  listRuns(filter?: RunFilter): Promise<RunSummary[]>;
  /**
   * The run whose log holds this run patch or approval ticket: an index written in the same
   * transaction as the event that introduced the id, so no log is folded to find it.
   */
  findRun(kind: RunKeyKind, id: string): Promise<string | undefined>;

  /**
   * Registers a version; registering an existing (name, version) again replaces its record in
   * place (it keeps its registration order) and un-retires it: a put always leaves the version
   * not retired (a `retiredAt` on the record given is ignored; only `retireWorkflow` sets it).
   */
  putWorkflow(record: WorkflowRecord): Promise<void>;
  /**
   * A version (retired or not, with its `retiredAt`), or without `version` the latest: the most
   * recently registered non-retired one (ties: the one registered last).
   */
  getWorkflow(name: string, version?: string): Promise<WorkflowRecord | undefined>;
  /** Every version, retired ones included, by name then registration. */
  listWorkflows(): Promise<WorkflowRecord[]>;
  /** Marks a version retired (see WorkflowRecord.retiredAt); false if there is no such version. */
  retireWorkflow(name: string, version: string, at: number): Promise<boolean>;
  /**
   * Writes a workflow-scope patch. `expected` guards concurrent deciders: `null` inserts a new
   * record (false if the id exists); a status updates the record only if it still has that
   * status (false otherwise). Returns whether the write happened.
   */
  putWorkflowPatch(
    record: WorkflowPatchRecord,
    expected: WorkflowPatchStatus | null,
  ): Promise<boolean>;
  getWorkflowPatch(patchId: string): Promise<WorkflowPatchRecord | undefined>;
  /** A workflow's patches (or every workflow's), oldest proposal first. */
  listWorkflowPatches(workflow?: string): Promise<WorkflowPatchRecord[]>;

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
