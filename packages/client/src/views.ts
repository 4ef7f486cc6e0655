// The API's view types: what the REST API answers and the CLI's `--json` prints. The engine
// and the control plane build these shapes; clients (the CLI's server mode, the canvas, MCP)
// read them. Types only: importing this module loads nothing.
import type {
  Budget,
  BudgetBreach,
  ErrorData,
  NodeJob,
  NodeResult,
  Problem,
  RunStatus,
  RunUsage,
} from '@aob/core';

/**
 * A role a token carries (viewer < operator < approver < admin; agent and runner apart: a
 * runner outside the cluster takes agent jobs and nothing else).
 */
export type Role = 'viewer' | 'operator' | 'approver' | 'admin' | 'agent' | 'runner';

/** A job a runner outside the cluster claimed (schemas/agent-job.schema.json). */
export interface RunnerClaim {
  lease: { leaseId: string; expiresAt: number; deliveries: number };
  job: NodeJob;
}

type WithoutAttempt<T> = T extends unknown
  ? Omit<T, 'runId' | 'nodeId' | 'attempt' | 'iteration'>
  : never;

/**
 * What a runner outside the cluster reports under its lease (schemas/agent-result.schema.json):
 * a NodeResult without the attempt's names, which the lease gives.
 */
export type RunnerReport = WithoutAttempt<NodeResult>;

/** Partial output of a running node (an llm node's token deltas): shown live, never persisted. */
export interface NodeDelta {
  runId: string;
  nodeId: string;
  attempt: number;
  delta: string;
  at: number;
}

export interface NodeView {
  status: string;
  attempts: number;
}

/** A run as `aob run get --json` shows it. */
export interface RunView {
  runId: string;
  workflow: string;
  /** The IR the run is on now: its definition is content of the run (getRunContent). */
  irHash: string;
  status: RunStatus;
  output?: unknown;
  error?: ErrorData;
  nodes: Record<string, NodeView>;
  startedAt: number;
  endedAt?: number;
  parentRunId?: string;
  replayOf?: string;
  fromNode?: string;
  /** The schedule tick that started the run (`reason`: tick, trigger or backfill). */
  schedule?: { scheduleId: string; tick: number; reason: 'tick' | 'trigger' | 'backfill' };
  /** Approval tickets still open. */
  waitingOn?: string[];
  /** Questions to people still open (ask nodes, agents' ask_user): answer them by id. */
  questions?: string[];
  /** What the run has spent, summed from its log (wall time: `endedAt` or now, less `startedAt`). */
  usage: RunUsage;
  /** The limits the run is held to, when it has any. */
  budget?: Budget;
  /** The limit the run crossed, when it did. */
  budgetExceeded?: BudgetBreach;
}

/** A namespace's budget, as an admin set it: every run started in the namespace is held to it too. */
export interface NamespaceBudgetView {
  namespace: string;
  budget: Budget;
  setBy: string;
  setAt: number;
}

export interface RunListItem {
  runId: string;
  workflow: string;
  status: RunStatus;
  startedAt: number;
}

export interface ApprovalView {
  ticketId: string;
  runId: string;
  nodeId: string;
  status: 'open' | 'approved' | 'rejected';
  /** Who may decide now (after any escalation or reassignment). */
  approvers: string[];
  quorum: number;
  /** When the open ticket times out. */
  dueAt?: number;
  /** The approval node's message to its approvers. */
  message?: string;
  /** The approvals that count toward the quorum (one per identity; a reassignment clears them). */
  approvals: { by: string; reason?: string }[];
  /** Whether the ticket timed out once and went to its `escalateTo` approvers. */
  escalated: boolean;
  /** When decided: who decided (`timeout` for the default decision) and why. */
  decidedBy?: string;
  reason?: string;
}

/** A JSON value a question offers as an answer. */
export type QuestionChoice = string | number | boolean;

/**
 * A question put to people: by an `ask` node, or by an agent that suspended its attempt to ask
 * (`kind`). Open until someone it names answers it, its timeout closes it, or the run ends.
 */
export interface QuestionView {
  questionId: string;
  runId: string;
  nodeId: string;
  /** The map item that asked, inside a map. */
  iteration?: number;
  attempt: number;
  kind: 'ask' | 'agent';
  /** `closed`: no answer came and it is no longer open (timed out, the node or the run ended). */
  status: 'open' | 'answered' | 'closed';
  question: string;
  /** The answers allowed; absent: any answer (valid against `schema`). */
  choices?: QuestionChoice[];
  /** A JSON Schema the answer must be valid against. */
  schema?: Record<string, unknown>;
  /** Who may answer, in the approvers' forms; empty: whoever may decide approvals in the namespace. */
  askees: string[];
  askedAt: number;
  /** When the open question times out. */
  dueAt?: number;
  /** Once answered: the answer, who gave it (`timeout` for a default) and when. */
  answered?: { answer: unknown; by: string; at: number; timedOut?: boolean };
  /** On a server: whether the caller may answer it now. */
  eligible?: boolean;
}

export interface WorkflowView {
  name: string;
  version: string;
  irHash: string;
  registeredAt: number;
}

/** A patch of either scope, as `aob patch show --json` prints it. */
export interface PatchView {
  patchId: string;
  scope: 'run' | 'workflow';
  /** The run id (scope run) or the workflow `name@version` it was proposed against. */
  target: string;
  /** Scope run: the run. */
  runId?: string;
  /** Scope workflow: the version it registered (applied, reverted) — e.g. `3.p1`. */
  version?: string;
  status: 'proposed' | 'held' | 'applied' | 'rejected' | 'reverted';
  author: string;
  rationale?: string;
  ops: unknown[];
  violations: Problem[];
  /** The IR the patch was proposed on, and (applied) the IR it produced. */
  baseIrHash: string;
  irHash?: string;
  added: string[];
  proposedAt: number;
  /** Held: why a person must decide, and who may. */
  reasons?: Problem[];
  reviewers?: string[];
  /** The reviewer who approved or rejected it (or reverted it, scope workflow), and why. */
  reviewedBy?: string;
  reason?: string;
}

/**
 * A workflow definition being edited, stored per namespace (issue 16 §3): every change is a JSON
 * Patch with its author, kept in order and undoable. `problems` are what `validateDefinition`
 * reports that does not break the graph's structure (an incomplete node, a bad expression): a
 * draft may have them while it is drawn, and is committed once it has none.
 */
export interface DraftView {
  draftId: string;
  namespace: string;
  title?: string;
  /** The registered workflow version it was opened from. */
  base?: { name: string; version: string };
  definition: Record<string, unknown>;
  /** 0 as opened; then the seq of its newest change. */
  revision: number;
  problems: Problem[];
  /** The nodes its author wants the people watching to look at. */
  focus?: { nodes: string[]; by: string; at: number };
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  commits: DraftCommit[];
  lastChange?: { seq: number; by: string; kind: DraftChangeKind; at: number };
}

/** `change`: operations an author sent; `undo`: the inverse of an earlier change (`undoes`). */
export type DraftChangeKind = 'change' | 'undo';

/** One entry of a draft's change log. */
export interface DraftChange {
  /** The draft's revision once this change was applied. */
  seq: number;
  kind: DraftChangeKind;
  /** The principal's subject, or `subject (agent name)` when an agent named itself. */
  by: string;
  at: number;
  /** RFC 6902 operations, as applied. */
  ops: unknown[];
  undoes?: number;
}

/** A draft committed: registered as a workflow version, or proposed to a run as a patch. */
export interface DraftCommit {
  as: 'version' | 'patch';
  by: string;
  at: number;
  /** The draft's revision committed. */
  revision: number;
  /** `as: version`: the `name@version` registered. */
  workflow?: string;
  /** `as: patch`: the run, the patch proposed to it, and the verdict it got. */
  runId?: string;
  patchId?: string;
  status?: string;
}

/** What a draft's live feed says (`event: draft`), with the draft as it is after it. */
export interface DraftFeedEvent {
  kind: 'changed' | 'focused' | 'committed' | 'deleted';
  revision: number;
  draft: DraftView;
}

/** Where a new draft starts: a registered workflow `name[@version]`, a definition, or blank. */
export interface OpenDraftRequest {
  from?: string;
  definition?: unknown;
  title?: string;
}

/** Registers the draft as a workflow version, or proposes it to a running run as a patch. */
export type DraftCommitRequest =
  { as: 'version'; version?: string } | { as: 'patch'; runId: string; rationale?: string };

/** What a commit did: the draft (with the commit recorded) and the version or the patch. */
export interface DraftCommitResult {
  draft: DraftView;
  workflow?: WorkflowView;
  patch?: PatchView;
}

/** A page of a draft's change log, and the draft's revision (more to read while below it). */
export interface DraftChanges {
  changes: DraftChange[];
  revision: number;
}

/** What an applied patch changed in the graph. */
export interface GraphDiff {
  nodesAdded: string[];
  nodesRemoved: string[];
  nodesChanged: string[];
  edgesAdded: string[];
  edgesRemoved: string[];
  outputChanged: boolean;
}

/** One attempt of a node (or of a map item), from its log. */
export interface AttemptView {
  attempt: number;
  /** The map item, for an attempt of one. */
  iteration?: number;
  outcome: 'running' | 'succeeded' | 'failed' | 'retrying';
  startedAt?: number;
  endedAt?: number;
  error?: ErrorData;
}

/** A node of a run with its resolved input and output (`aob run get --node`, the API). */
export interface NodeDetail {
  runId: string;
  nodeId: string;
  type: string;
  status: string;
  attempts: number;
  input?: unknown;
  inputRef?: string;
  output?: unknown;
  outputRef?: string;
  error?: ErrorData;
  /** Reused from an earlier run instead of executed (replay). */
  reused?: 'recorded' | 'frozen';
  /** A map node's progress over its items. */
  map?: { total: number; done: number; failed: number };
  childRunId?: string;
  ticketId?: string;
  history: AttemptView[];
}

/** A token as listed: everything but the hash. */
export interface TokenView {
  tokenId: string;
  subject: string;
  role: Role;
  namespace: string;
  groups: string[];
  createdAt: number;
  createdBy: string;
  revokedAt?: number;
  /** A job token's scope: the one run it may read and propose patches to. */
  runId?: string;
  /** When the token stops working (epoch ms). */
  expiresAt?: number;
}

/** Who a request speaks for: resolved from a bearer token, never from the request body. */
export interface Principal {
  subject: string;
  role: Role;
  namespace: string;
  groups: string[];
  tokenId: string;
  /** A job token's scope: the one run it may read and propose patches to. */
  runId?: string;
  /** When the token stops working (epoch ms); absent: when it is revoked. */
  expiresAt?: number;
}

/** What a schedule does when a tick comes while the run of an earlier tick is still going. */
export type ScheduleOverlap = 'skip' | 'buffer_one' | 'allow' | 'cancel_previous';

/**
 * A schedule to create (`POST /v1/schedules`, `aob schedule create`): exactly one of `cron`,
 * `every`, `at`. Durations are text such as `30s`, `5m`, `1h30m`, `2d`; times ISO 8601 with a
 * zone (`2025-03-30T02:30:00+02:00`, `…Z`).
 */
export interface CreateScheduleRequest {
  /** A registered workflow: `name` (its newest version at each tick) or `name@version`. */
  workflow: string;
  /** The inputs every run gets, checked against the workflow's inputs when it is pinned. */
  inputs?: unknown;
  /** A cron expression (5, 6 or 7 fields: seconds and years optional), read in `timezone`. */
  cron?: string;
  /** An IANA time zone for `cron` (default UTC). */
  timezone?: string;
  /** A fixed interval, aligned on the epoch (or on `start`). */
  every?: string;
  /** A list of times. */
  at?: string[];
  /** Each tick's run starts up to this long after the tick (a delay fixed per tick). */
  jitter?: string;
  /** No tick before this time. */
  start?: string;
  /** No tick at or after this time. */
  end?: string;
  /** Default `skip`. */
  overlap?: ScheduleOverlap;
  /** Ticks missed while no scheduler ran are started when at most this old. Default `1h`. */
  catchupWindow?: string;
  /** Create it paused. */
  paused?: boolean;
  note?: string;
}

/** A schedule, as the API and `aob schedule show --json` give it. Times are epoch ms. */
export interface ScheduleView {
  scheduleId: string;
  namespace: string;
  workflow: string;
  inputs: unknown;
  cron?: string;
  timezone?: string;
  everyMs?: number;
  at?: number[];
  jitterMs?: number;
  startAt?: number;
  endAt?: number;
  overlap: ScheduleOverlap;
  catchupWindowMs: number;
  paused: boolean;
  note?: string;
  /** The next tick, and when its run is due (the tick plus its jitter); absent once none is left. */
  nextTickAt?: number;
  nextRunAt?: number;
  /** A tick held back by `buffer_one` until the run before it ends. */
  bufferedTickAt?: number;
  /** The newest tick whose run was started, and that run. */
  lastTickAt?: number;
  lastRunId?: string;
  /**
   * Ticks started, skipped by the overlap policy, missed (older than the catch-up window), failed
   * (the run could not start: the workflow or its inputs no longer fit; see `lastError`).
   */
  counts: { started: number; skipped: number; missed: number; failed: number };
  lastError?: { tick: number; at: number; code: string; message: string };
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

/** A run a trigger or a backfill started (or found started: the tick's run id exists already). */
export interface ScheduledRunView {
  runId: string;
  tick: number;
  /** false: the tick's run had been started before (its id is derived from the tick). */
  started: boolean;
}

/** `POST /v1/schedules/{id}/backfill`: the ticks in [from, to), at most 1 000. */
export interface BackfillRequest {
  from: string;
  to: string;
}
