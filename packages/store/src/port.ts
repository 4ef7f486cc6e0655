// Store ports, one per concern. An adapter implements the ports its topology needs, and a store
// is typed as their intersection:
//   - every topology: RunLogStore (append-only run logs, summaries, the patch/ticket index),
//     WorkflowRegistry, WorkflowPatchStore, NamespaceBudgetStore, DraftStore, ScheduleStore,
//     TokenStore, and a ContentStore;
//   - the local topology (EventStore: memory, SQLite) adds LeaseInboxStore: which process drives
//     a run, and the commands other processes leave it;
//   - the cluster (ClusterStore: PostgreSQL) adds OutboxStore, TimerStore, StallStore and
//     RunnerJobStore (the queue of runners outside the cluster), and has
//     no leases (a run's owner is its Kafka partition's orchestrator).
// Each port has a shared conformance suite (`@aob/store/conformance`) every adapter runs.
import type { AnyNewEvent, AnyRunEvent, Budget, CasRef, Content, RunStatus } from '@aob/core';
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
  /**
   * A job token's scope (ARCHITECTURE §9): the one run it may read and propose patches to. Absent:
   * every run of its namespace.
   */
  runId?: string;
  /** When it stops authenticating (epoch ms). Absent: never (until revoked). */
  expiresAt?: number;
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
  /**
   * Deletes the tokens that expired before `before` (job tokens pile up otherwise: one per agent
   * job); returns how many. Tokens without an expiry are never deleted.
   */
  deleteExpiredTokens(before: number): Promise<number>;
  close(): Promise<void>;
}

/** The append-only run logs and what is indexed with them. */
export interface RunLogStore {
  /**
   * Appends events to a run whose last seq is `expectedSeq` (0 for a new run), atomically, with
   * dense seqs from expectedSeq+1. If another writer got there first, throws an error with code
   * `SEQ_CONFLICT` and appends nothing. Updates the run summary (and the patch/ticket index) in
   * the same transaction.
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
  close(): Promise<void>;
}

/** Registered workflow versions. A version, once registered, means one graph. */
export interface WorkflowRegistry {
  /**
   * Registers a version. Registering an existing (name, version) with the same IR hash is a
   * no-op that un-retires it (it keeps its registration order; a `retiredAt` on the record given
   * is ignored); with another IR hash it throws `WORKFLOW_EXISTS` and changes nothing.
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
  close(): Promise<void>;
}

/** Workflow-scope patches (run-scope ones live in their run's log). */
export interface WorkflowPatchStore {
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
  close(): Promise<void>;
}

/**
 * Local topology only: several `aob` processes share one store, each run is driven by the
 * process holding its lease, and the others leave it commands (approve, cancel) in the inbox.
 */
export interface LeaseInboxStore {
  /** Takes or renews the lease on driving a run; false if someone else holds an unexpired one. */
  acquireLease(runId: string, owner: string, ttlMs: number, now: number): Promise<boolean>;
  /**
   * Takes the lease from `from`, expired or not, for a caller that knows `from` is gone (its
   * process no longer exists); false if `from` no longer holds it (someone else took it first).
   */
  takeOverLease(
    runId: string,
    from: string,
    owner: string,
    ttlMs: number,
    now: number,
  ): Promise<boolean>;
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

/** A message to publish once the events it was decided with are committed. */
export interface OutboxMessage {
  topic: string;
  key: string;
  /** JSON-serialisable. */
  value: unknown;
  headers?: Record<string, string>;
}

export interface OutboxRecord {
  id: number;
  topic: string;
  key: string;
  value: unknown;
  headers: Record<string, string>;
  /** Epoch ms, database clock. */
  createdAt: number;
}

/**
 * Cluster only. The transactional outbox: a decision's events and the messages they imply commit
 * together, and a relay publishes what is committed. Rows are delivered at least once; consumers
 * dedupe.
 */
export interface OutboxStore {
  /**
   * `RunLogStore.append`, plus `outbox` rows written in the same transaction: both are committed
   * or neither is (on SEQ_CONFLICT, no row is written).
   */
  appendWithOutbox(
    runId: string,
    irHash: string,
    expectedSeq: number,
    events: readonly AnyNewEvent[],
    outbox: readonly OutboxMessage[],
    /**
     * Commits the rows already claimed under `token` for `leaseMs`: the writer publishes them
     * itself right after the commit and marks them with `markSentByClaims([token, …])`; if it dies
     * first, the rows are claimable again when the lease ends (the sweep publishes them).
     */
    claim?: { token: string; leaseMs: number },
  ): Promise<AnyRunEvent[]>;
  /**
   * Claims up to `limit` unsent rows, oldest first, for `owner` until `leaseMs` (default 30 s)
   * from now. Concurrent claimers get disjoint rows; a claimed row not marked sent before its
   * lease ends can be claimed again (a relay crashed mid-publish).
   */
  claimOutbox(limit: number, opts?: { owner?: string; leaseMs?: number }): Promise<OutboxRecord[]>;
  /** Marks rows as published; they are never claimed again (PostgreSQL deletes them). */
  markSent(ids: readonly number[]): Promise<void>;
  /** Marks the unsent rows committed under these claim tokens as published (one statement). */
  markSentByClaims(tokens: readonly string[]): Promise<void>;
  /**
   * Extends the claims of the unsent rows committed under these tokens to `leaseMs` from now (a
   * writer still working on them: jobs handed to a runner in its own process). A row another
   * relay claimed meanwhile is not this token's any more and is left alone.
   */
  renewClaims(tokens: readonly string[], leaseMs: number): Promise<void>;
  /** How many rows are not marked sent yet, claimed or not (the backlog metric). */
  countUnsentOutbox(): Promise<number>;
}

export interface TimerRecord {
  timerId: string;
  runId: string;
  nodeId?: string;
  purpose: string;
  /** Epoch ms, engine clock. */
  dueAt: number;
}

/**
 * Cluster only. Durable timers any number of orchestrators poll: a claim is a lease, so a timer
 * whose claimer died before firing it is claimed again; firing is at least once.
 */
export interface TimerStore {
  /** Records timers; one already recorded (same id) is left as it is. */
  scheduleTimers(timers: readonly TimerRecord[]): Promise<void>;
  /**
   * Claims up to `limit` unfired timers due at `now`, earliest first, for `owner` until
   * `now + leaseMs` (default 30 s).
   */
  claimDueTimers(
    now: number,
    limit: number,
    owner: string,
    leaseMs?: number,
  ): Promise<TimerRecord[]>;
  /** Marks timers fired; they are never claimed again. */
  markTimersFired(timerIds: readonly string[], firedAt: number): Promise<void>;
  /** How many unfired timers are due at `now`, claimed or not (the timers-due metric). */
  countDueTimers(now: number): Promise<number>;
}

/** Cluster only. Runs that may be stuck, for the stall sweep to nudge. */
export interface StallStore {
  /** Ids of running runs not updated since `updatedBefore` with no unfired timer, oldest first. */
  quietRuns(updatedBefore: number, limit: number): Promise<string[]>;
}

/** A job for a runner outside the cluster, as it is queued (RunnerJobStore). */
export interface RunnerJobEntry {
  /** One per attempt: `runId/nodeId/iteration/attempt` (runner-job keys are the engine's). */
  key: string;
  runId: string;
  /** The runner label the job asks for (`with.runsOn`). */
  label: string;
  /** 0 first (high), then 1, 2. */
  priority: number;
  /** The node job, JSON-serialisable. */
  job: unknown;
}

/** A runner's hold on one queued job, until `expiresAt` unless renewed. */
export interface RunnerLease {
  leaseId: string;
  key: string;
  runId: string;
  /** The namespace of the job's run: only a runner of that namespace may claim it. */
  namespace: string;
  label: string;
  job: unknown;
  /** Epoch ms, engine clock. */
  expiresAt: number;
  /** Claims of this job so far, this one included (more than 1: redelivered). */
  deliveries: number;
}

/**
 * Cluster only. The runner queue (ARCHITECTURE §7): jobs of nodes routed to runners outside the
 * cluster, which take them through the API. A claim is a lease; a runner renews it while it
 * works, and a lease that runs out makes the job claimable again (the redelivery). A job
 * finishes once, under the lease current then: whatever a runner whose lease was taken over says
 * afterwards is refused.
 */
export interface RunnerJobStore {
  /**
   * Queues jobs (their runs' namespaces are read from the runs). A job queued already (same key)
   * is left as it is; for those that finished, their recorded outcomes are returned (a lost
   * result is sent again, as the attempt ledger does for cluster runners).
   */
  enqueueRunnerJobs(
    jobs: readonly RunnerJobEntry[],
    now: number,
  ): Promise<{ key: string; outcome: unknown }[]>;
  /**
   * Leases the first claimable job (unfinished, no live lease) of the namespace with one of the
   * labels, by priority then age, to `owner` under `leaseId` until `now + leaseMs`. Concurrent
   * claimers get different jobs.
   */
  claimRunnerJob(opts: {
    namespace: string;
    labels: readonly string[];
    owner: string;
    leaseId: string;
    now: number;
    leaseMs: number;
  }): Promise<RunnerLease | undefined>;
  /**
   * The lease's job, while the lease is the job's current one and the job is unfinished (a lease
   * that ran out still counts until another runner claims the job).
   */
  runnerLease(leaseId: string): Promise<RunnerLease | undefined>;
  /** Extends a current lease to `now + leaseMs`; its new expiry, or undefined if it is not current. */
  renewRunnerLease(leaseId: string, now: number, leaseMs: number): Promise<number | undefined>;
  /**
   * Finishes the job with its outcome if `leaseId` is current; false otherwise (nothing changed).
   * An undefined outcome: finished with nothing to send again (its run was over).
   */
  finishRunnerJob(leaseId: string, outcome: unknown, now: number): Promise<boolean>;
  /** Gives a current lease up: the job is claimable at once. False if it was not current. */
  releaseRunnerLease(leaseId: string): Promise<boolean>;
  /**
   * Deletes jobs finished before `finishedBefore` and unfinished jobs of runs that are over
   * (no runner will be wanted for them); returns how many.
   */
  purgeRunnerJobs(finishedBefore: number): Promise<number>;
}

/** A namespace's budget, set by an admin: every run started in the namespace is held to it too. */
export interface NamespaceBudgetRecord {
  namespace: string;
  budget: Budget;
  setBy: string;
  /** Epoch ms. */
  setAt: number;
}

/**
 * Namespace budgets. A run records the budget it is held to when it starts (RunStarted), so a
 * change here applies to runs started after it, never to a run's history.
 */
export interface NamespaceBudgetStore {
  /** Sets a namespace's budget, replacing the one it had. */
  putNamespaceBudget(record: NamespaceBudgetRecord): Promise<void>;
  getNamespaceBudget(namespace: string): Promise<NamespaceBudgetRecord | undefined>;
  /** Removes a namespace's budget; false if it had none. */
  deleteNamespaceBudget(namespace: string): Promise<boolean>;
}

/** The registered workflow version a draft was opened from. */
export interface DraftBase {
  name: string;
  version: string;
}

/** The nodes a draft's author wants the people watching it to look at. */
export interface DraftFocus {
  nodes: string[];
  by: string;
  /** Epoch ms. */
  at: number;
}

/** A draft committed: registered as a workflow version, or proposed to a run as a patch. */
export interface DraftCommitRecord {
  as: 'version' | 'patch';
  by: string;
  /** Epoch ms. */
  at: number;
  /** The draft's revision that was committed. */
  revision: number;
  /** `as: version`: the `name@version` registered. */
  workflow?: string;
  /** `as: patch`: the run, the patch proposed to it and the verdict it got. */
  runId?: string;
  patchId?: string;
  status?: string;
}

/** The newest change of a draft, in short. */
export interface DraftChangeMark {
  seq: number;
  by: string;
  kind: DraftChangeKind;
  at: number;
}

/**
 * A workflow definition being edited (ARCHITECTURE §7, drafts), per namespace. `revision` counts
 * its changes: 0 as opened, then the seq of its newest change.
 */
export interface DraftRecord {
  draftId: string;
  namespace: string;
  title?: string;
  base?: DraftBase;
  /** The definition as it is now (JSON; may be incomplete, never structurally broken). */
  definition: unknown;
  revision: number;
  focus?: DraftFocus;
  createdBy: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms: the last change, focus or commit. */
  updatedAt: number;
  commits: DraftCommitRecord[];
  lastChange?: DraftChangeMark;
}

/** `change`: JSON Patch operations an author sent; `undo`: the inverse of an earlier change. */
export type DraftChangeKind = 'change' | 'undo';

/** One entry of a draft's append-only change log. */
export interface DraftChangeRecord {
  /** 1, 2, …: the draft's revision once this change is applied. */
  seq: number;
  kind: DraftChangeKind;
  by: string;
  /** Epoch ms. */
  at: number;
  /** RFC 6902 operations, as applied. */
  ops: unknown[];
  /** Operations that take the definition back to what it was before this change. */
  inverse: unknown[];
  /** `undo`: the seq of the change it took back. */
  undoes?: number;
}

/** Drafts and their change logs. Records read back are copies: callers never share the store's. */
export interface DraftStore {
  /** Stores a new draft; false (nothing written) if its id exists. */
  createDraft(record: DraftRecord): Promise<boolean>;
  getDraft(draftId: string): Promise<DraftRecord | undefined>;
  /** A namespace's drafts, the most recently created first. */
  listDrafts(namespace: string, page?: { offset?: number; limit?: number }): Promise<DraftRecord[]>;
  /**
   * Appends `change` (whose seq is `revision`) and sets the draft's definition, revision,
   * `lastChange` and `updatedAt` (the change's `at`), atomically, if the draft's revision is still
   * `expectedRevision`; false (nothing written) otherwise, or if there is no such draft.
   */
  appendDraftChange(
    draftId: string,
    change: DraftChangeRecord,
    definition: unknown,
    revision: number,
    expectedRevision: number,
  ): Promise<boolean>;
  /** Changes with a seq above `afterSeq`, oldest first, at most `limit`. */
  draftChanges(draftId: string, afterSeq: number, limit: number): Promise<DraftChangeRecord[]>;
  /** Sets the draft's focus (and `updatedAt` to its `at`); false if there is no such draft. */
  setDraftFocus(draftId: string, focus: DraftFocus): Promise<boolean>;
  /** Appends a commit (and sets `updatedAt` to its `at`); false if there is no such draft. */
  addDraftCommit(draftId: string, commit: DraftCommitRecord): Promise<boolean>;
  /** Deletes a draft and its changes; false if there is no such draft. */
  deleteDraft(draftId: string): Promise<boolean>;
}

/** What a schedule does when a tick comes while the run of an earlier tick is still going. */
export type ScheduleOverlap = 'skip' | 'buffer_one' | 'allow' | 'cancel_previous';

/**
 * When a schedule ticks (exactly one of `cron`, `everyMs`, `at`), as checked by the engine
 * (`packages/engine/src/schedules/spec.ts`). Times are epoch ms.
 */
export interface ScheduleSpec {
  /** A cron expression (croner: 5, 6 or 7 fields), read in `timezone` (default UTC). */
  cron?: string;
  timezone?: string;
  /** A fixed interval: ticks at `startAt` (or the epoch) plus whole multiples of it. */
  everyMs?: number;
  /** A list of times, ascending, no repeats. */
  at?: number[];
  /** Each tick's run starts up to this long after the tick (the same delay for a tick, always). */
  jitterMs?: number;
  /** No tick before this time (inclusive). */
  startAt?: number;
  /** No tick at or after this time (exclusive). */
  endAt?: number;
}

/**
 * A schedule (ARCHITECTURE §7, schedules): starts runs of a registered workflow at its ticks.
 * `revision` guards every write (compare-and-set), so a scheduler and a person pausing it, or two
 * schedulers, never overwrite each other's state.
 */
export interface ScheduleRecord {
  scheduleId: string;
  namespace: string;
  /** `name` (its newest version at each tick) or a pinned `name@version`. */
  workflow: string;
  inputs: unknown;
  spec: ScheduleSpec;
  overlap: ScheduleOverlap;
  /** Ticks missed while no scheduler ran are started when they are at most this old. */
  catchupWindowMs: number;
  paused: boolean;
  /** Why it was paused (or resumed), as the person said. */
  note?: string;
  /** The next tick not yet taken care of (epoch ms); absent once no tick is left. */
  nextTickAt?: number;
  /** When `nextTickAt`'s run is due: the tick plus its jitter. */
  nextDueAt?: number;
  /** A tick held back by `buffer_one` until the run before it ends. */
  bufferedTickAt?: number;
  /** The newest tick whose run was started, and that run. */
  lastTickAt?: number;
  lastRunId?: string;
  /**
   * Ticks started, skipped by the overlap policy, missed (older than the catch-up window), and
   * failed (their run could not start: the workflow or its inputs no longer fit).
   */
  counts: { started: number; skipped: number; missed: number; failed: number };
  /** Why the newest failed tick could not start. */
  lastError?: { tick: number; at: number; code: string; message: string };
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  revision: number;
}

/** Schedules and their state. Records read back are copies. */
export interface ScheduleStore {
  /** Stores a new schedule; false (nothing written) if its id exists. */
  createSchedule(record: ScheduleRecord): Promise<boolean>;
  getSchedule(scheduleId: string): Promise<ScheduleRecord | undefined>;
  /** A namespace's schedules, the most recently created first. */
  listSchedules(
    namespace: string,
    page?: { offset?: number; limit?: number },
  ): Promise<ScheduleRecord[]>;
  /**
   * Replaces the schedule with `record` (whose `revision` must be `expectedRevision + 1`) if its
   * stored revision is still `expectedRevision`; false (nothing written) otherwise, or if there
   * is no such schedule. Releases any scheduler's claim on it.
   */
  updateSchedule(record: ScheduleRecord, expectedRevision: number): Promise<boolean>;
  /** Deletes a schedule; false if there is no such schedule. */
  deleteSchedule(scheduleId: string): Promise<boolean>;
  /**
   * Claims up to `limit` schedules due at `now` (`scheduleDueAt` ≤ now), earliest first, whose
   * claim is free, expired or `owner`'s own, for `owner` until `now + leaseMs`. Concurrent
   * claimers get disjoint schedules. A claim only spares work: correctness rests on the
   * revision and on deterministic run ids.
   */
  claimDueSchedules(
    now: number,
    owner: string,
    leaseMs: number,
    limit: number,
  ): Promise<ScheduleRecord[]>;
}

/** What the application layer needs in every topology: logs, the registry, workflow patches. */
export type ApplicationStore = RunLogStore &
  WorkflowRegistry &
  WorkflowPatchStore &
  NamespaceBudgetStore &
  DraftStore &
  ScheduleStore;

/** The local topology's store (memory, SQLite). */
export type EventStore = ApplicationStore & TokenStore & LeaseInboxStore;

/** The cluster's store (PostgreSQL). */
export type ClusterStore = ApplicationStore &
  TokenStore &
  OutboxStore &
  TimerStore &
  StallStore &
  RunnerJobStore & { close(): Promise<void> };

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
