// AobHttpClient: one method per route of the REST API (/v1), JSON in and out, bearer token.
// Error answers become AobApiError (status, code, detail, every problem); no answer at all
// becomes AobUnreachableError. The SSE timelines are async iterables that survive a dropped
// connection (see sse.ts).
import type { AnyRunEvent, Budget, CasRef, Problem, RunStatus } from '@aob/core';
import type {
  ApprovalView,
  BackfillRequest,
  CreateScheduleRequest,
  DraftChanges,
  DraftCommitRequest,
  DraftCommitResult,
  DraftView,
  GraphDiff,
  NodeDelta,
  NamespaceBudgetView,
  NodeDetail,
  OpenDraftRequest,
  PatchView,
  Principal,
  QuestionView,
  Role,
  RunListItem,
  RunnerClaim,
  RunnerReport,
  RunView,
  ScheduledRunView,
  ScheduleView,
  TokenView,
  WorkflowView,
} from './views.js';
import { AobApiError, apiErrorFrom, unreachableFrom } from './errors.js';
import { followSse } from './sse.js';
import type { SseFollowOptions } from './sse.js';

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface PageQuery {
  cursor?: string;
  limit?: number;
}

/** The roles are the control plane's (auth/roles.ts): one list for the server and its client. */
export type { Role };

/** Who the token is (openapi Principal): the server's own type. */
export type WhoAmI = Principal;

/** A token as listed (openapi TokenView): everything but the token and its hash. */
export type TokenInfo = TokenView;

/** The answer to createToken: `token` is shown this once; the server keeps only its hash. */
export interface CreatedToken extends TokenInfo {
  token: string;
}

export interface StartRunRequest {
  /** A registered workflow `name[@version]`. */
  workflow?: string;
  /** A whole definition (a file the caller read). */
  definition?: unknown;
  inputs?: unknown;
  runId?: string;
  /** This run's limits (`{tokens, costUsd, wallMs, nodes, onExceeded}`). */
  budget?: Budget;
}

/** The verdict a patch would get now (openapi PatchCheck). */
export interface PatchCheck {
  status: 'applied' | 'held' | 'rejected';
  violations: Problem[];
  reasons?: Problem[];
}

export interface PatchRequest {
  /** A run id, or a registered workflow `name[@version]`. */
  target: string;
  /** RFC 6902 operations… */
  ops?: unknown;
  /** …or a whole patch document. */
  patch?: unknown;
  rationale?: string;
}

/** Who a draft change is by: an agent may name itself, recorded as `subject (author)`. */
export interface DraftAuthor {
  author?: string;
}

export interface ChangeDraftRequest extends DraftAuthor {
  /** RFC 6902 operations, applied in order. */
  ops: unknown[];
  /** Apply only if the draft is still at this revision (else DRAFT_CONFLICT, 409). */
  expectRevision?: number;
}

/** One message of a timeline feed: a run event, a node's output delta, or another kind. */
export type TimelineMessage =
  | { kind: 'event'; id?: string; event: AnyRunEvent }
  | { kind: 'delta'; id?: string; delta: NodeDelta }
  | { kind: 'other'; id?: string; type: string; data: unknown };

export interface TimelineOptions extends Pick<
  SseFollowOptions,
  'signal' | 'onReconnect' | 'maxRetries' | 'idleTimeoutMs' | 'initialDelayMs' | 'maxDelayMs'
> {
  /** Resume after this seq (run feed) or id (namespace feed); `0` replays a run from its start. */
  after?: string | number;
}

export interface AobHttpClientOptions {
  /** The server, e.g. http://127.0.0.1:8080 (a path prefix is kept: http://host/aob/). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** How long a request may take before it counts as unreachable. Default 30 s. */
  timeoutMs?: number;
  /** For tests. */
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | boolean | undefined>;

export class AobHttpClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly doFetch: typeof fetch;

  constructor(opts: AobHttpClientOptions) {
    // A base without a trailing slash would lose its last path segment in URL resolution.
    this.baseUrl = opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`;
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    // Called as a method of this object, a browser's fetch throws "Illegal invocation": it must
    // be called on the window, so the global one is wrapped.
    this.doFetch = opts.fetch ?? ((input, init) => fetch(input, init));
  }

  // ---- identity --------------------------------------------------------------------------

  whoami(): Promise<WhoAmI> {
    return this.request('GET', 'v1/whoami');
  }

  // ---- workflows -------------------------------------------------------------------------

  validateWorkflow(definition: unknown): Promise<{ valid: boolean; errors: Problem[] }> {
    return this.request('POST', 'v1/workflows/validate', { body: { definition } });
  }

  registerWorkflow(definition: unknown): Promise<WorkflowView> {
    return this.request('POST', 'v1/workflows', { body: { definition } });
  }

  listWorkflows(page: PageQuery = {}): Promise<Page<WorkflowView>> {
    return this.request('GET', 'v1/workflows', { query: { ...page } });
  }

  showWorkflow(
    ref: string,
    opts: { patches?: readonly string[] } = {},
  ): Promise<{ definition: Record<string, unknown>; irHash: string }> {
    const patches = opts.patches && opts.patches.length > 0 ? opts.patches.join(',') : undefined;
    return this.request('GET', `v1/workflows/${seg(ref)}`, { query: { patches } });
  }

  // ---- runs ------------------------------------------------------------------------------

  /** `pending`: handed to the orchestrators, not started yet (202); it starts when one takes it. */
  startRun(req: StartRunRequest): Promise<{ runId: string; pending?: true }> {
    return this.request('POST', 'v1/runs', { body: req });
  }

  listRuns(q: { status?: readonly RunStatus[] } & PageQuery = {}): Promise<Page<RunListItem>> {
    const status = q.status && q.status.length > 0 ? q.status.join(',') : undefined;
    return this.request('GET', 'v1/runs', {
      query: { status, cursor: q.cursor, limit: q.limit },
    });
  }

  getRun(runId: string): Promise<RunView> {
    return this.request('GET', `v1/runs/${seg(runId)}`);
  }

  /** One node of a run: its resolved input and output, its error and its attempts. */
  getRunNode(runId: string, nodeId: string): Promise<NodeDetail> {
    return this.request('GET', `v1/runs/${seg(runId)}/nodes/${seg(nodeId)}`);
  }

  /** A value the run holds, by the reference a NodeDetail gives (`inputRef`, `outputRef`). */
  getRunContent(runId: string, ref: string): Promise<unknown> {
    return this.request('GET', `v1/runs/${seg(runId)}/content/${seg(ref)}`);
  }

  /** Events from `fromSeq` (inclusive), a page at a time. */
  runEvents(
    runId: string,
    q: { fromSeq?: number; limit?: number } = {},
  ): Promise<Page<AnyRunEvent>> {
    return this.request('GET', `v1/runs/${seg(runId)}/events`, { query: { ...q } });
  }

  /**
   * Long poll: the run once it is over (or, with untilSettled, waits on a person), or as it is
   * when `timeoutMs` passes. The request may take that long, so its own timeout is longer.
   */
  waitRun(runId: string, q: { timeoutMs?: number; untilSettled?: boolean } = {}): Promise<RunView> {
    return this.request('GET', `v1/runs/${seg(runId)}/wait`, {
      query: { timeoutMs: q.timeoutMs, untilSettled: q.untilSettled },
      timeoutMs: (q.timeoutMs ?? this.timeoutMs) + this.timeoutMs,
    });
  }

  cancelRun(runId: string, body: { reason?: string } = {}): Promise<RunView> {
    return this.request('POST', `v1/runs/${seg(runId)}/cancel`, { body });
  }

  /**
   * Raises limits of a live run's budget (each above the run's); a run paused by its budget goes
   * on once none is crossed. Resolves with the run once the raise is in its log.
   */
  raiseRunBudget(
    runId: string,
    body: { budget: Record<string, unknown>; reason?: string },
  ): Promise<RunView> {
    return this.request('PUT', `v1/runs/${seg(runId)}/budget`, { body });
  }

  replayRun(
    runId: string,
    body: { fromNode: string; mode: 'freeze' | 'live' },
  ): Promise<{ runId: string }> {
    return this.request('POST', `v1/runs/${seg(runId)}/replay`, { body });
  }

  /** The run's events as they happen (`after: 0`: from its first), until the feed's end event. */
  runTimeline(runId: string, opts: TimelineOptions = {}): AsyncIterable<TimelineMessage> {
    return this.timelineOf(`v1/runs/${seg(runId)}/timeline`, opts);
  }

  /** Every run of the principal's namespace, as it happens. */
  timeline(opts: TimelineOptions = {}): AsyncIterable<TimelineMessage> {
    return this.timelineOf('v1/timeline', opts);
  }

  // ---- approvals -------------------------------------------------------------------------

  listApprovals(q: { status?: 'open' | 'all' } & PageQuery = {}): Promise<Page<ApprovalView>> {
    return this.request('GET', 'v1/approvals', { query: { ...q } });
  }

  decideApproval(
    ticketId: string,
    body: { decision: 'approved' | 'rejected'; reason?: string },
  ): Promise<ApprovalView> {
    return this.request('POST', `v1/approvals/${seg(ticketId)}/decision`, { body });
  }

  reassignApproval(
    ticketId: string,
    body: { approvers: string[]; reason?: string },
  ): Promise<ApprovalView> {
    return this.request('POST', `v1/approvals/${seg(ticketId)}/reassign`, { body });
  }

  // ---- questions -------------------------------------------------------------------------

  /**
   * Questions of the token's namespace: open ones (or `status: 'all'`), of one run (`run`), or
   * only those the caller may answer (`mine`).
   */
  questions(
    q: { status?: 'open' | 'all'; run?: string; mine?: boolean } & PageQuery = {},
  ): Promise<Page<QuestionView>> {
    return this.request('GET', 'v1/questions', { query: { ...q } });
  }

  /** One question of the namespace, open or not. */
  question(questionId: string): Promise<QuestionView> {
    return this.request('GET', `v1/questions/${seg(questionId)}`);
  }

  /**
   * Answers an open question as the token's subject (any JSON; one of its choices, valid against
   * its schema). Resolves with the question once the answer is in the run's log.
   */
  answer(questionId: string, answer: unknown): Promise<QuestionView> {
    return this.request('POST', `v1/questions/${seg(questionId)}/answer`, {
      body: { answer },
    });
  }

  // ---- patches ---------------------------------------------------------------------------

  proposePatch(req: PatchRequest): Promise<PatchView> {
    return this.request('POST', 'v1/patches', { body: req });
  }

  /** A dry run: the verdict the patch would get now; nothing is persisted. */
  checkPatch(req: Omit<PatchRequest, 'rationale'>): Promise<PatchCheck> {
    return this.request('POST', 'v1/patches/check', { body: req });
  }

  listPatches(
    q: { run?: string; workflow?: string; status?: string } & PageQuery = {},
  ): Promise<Page<PatchView>> {
    return this.request('GET', 'v1/patches', { query: { ...q } });
  }

  getPatch(patchId: string): Promise<{ patch: PatchView; diff?: GraphDiff }> {
    return this.request('GET', `v1/patches/${seg(patchId)}`);
  }

  reviewPatch(
    patchId: string,
    body: { decision: 'approved' | 'rejected'; reason?: string },
  ): Promise<PatchView> {
    return this.request('POST', `v1/patches/${seg(patchId)}/review`, { body });
  }

  revertPatch(patchId: string): Promise<{ patch: PatchView; revert?: PatchView }> {
    return this.request('POST', `v1/patches/${seg(patchId)}/revert`, { body: {} });
  }

  // ---- tokens (admin) --------------------------------------------------------------------

  createToken(body: { subject: string; role: Role; groups?: string[] }): Promise<CreatedToken> {
    return this.request('POST', 'v1/tokens', { body });
  }

  listTokens(page: PageQuery = {}): Promise<Page<TokenInfo>> {
    return this.request('GET', 'v1/tokens', { query: { ...page } });
  }

  revokeToken(tokenId: string): Promise<TokenInfo> {
    return this.request('DELETE', `v1/tokens/${seg(tokenId)}`);
  }

  // ---- drafts: workflows being edited (the live feed, GET v1/drafts/{id}/feed, is SSE) ---

  /** A new draft: blank, `from` a registered workflow `name[@version]`, or from a definition. */
  openDraft(req: OpenDraftRequest & DraftAuthor = {}): Promise<DraftView> {
    return this.request('POST', 'v1/drafts', { body: req });
  }

  /** The namespace's drafts, the most recently opened first. */
  listDrafts(page: PageQuery = {}): Promise<Page<DraftView>> {
    return this.request('GET', 'v1/drafts', { query: { ...page } });
  }

  getDraft(draftId: string): Promise<DraftView> {
    return this.request('GET', `v1/drafts/${seg(draftId)}`);
  }

  /** Deletes the draft and its change log; resolves with the draft as it was. */
  deleteDraft(draftId: string): Promise<DraftView> {
    return this.request('DELETE', `v1/drafts/${seg(draftId)}`);
  }

  /**
   * Applies a JSON Patch: refused (400, every problem named, nothing stored) when it is no patch,
   * does not apply or breaks the draft's structure; what is merely incomplete is in `problems`.
   */
  changeDraft(draftId: string, req: ChangeDraftRequest): Promise<DraftView> {
    return this.request('POST', `v1/drafts/${seg(draftId)}/changes`, { body: req });
  }

  /** The change log after seq `after` (default 0), oldest first, with the draft's revision. */
  draftChanges(draftId: string, q: { after?: number; limit?: number } = {}): Promise<DraftChanges> {
    return this.request('GET', `v1/drafts/${seg(draftId)}/changes`, { query: { ...q } });
  }

  /** Undoes the newest change not undone yet (`mine`: the newest of the caller's own). */
  undoDraft(draftId: string, req: { mine?: boolean } & DraftAuthor = {}): Promise<DraftView> {
    return this.request('POST', `v1/drafts/${seg(draftId)}/undo`, { body: req });
  }

  /** Points the people watching the draft at some of its nodes. */
  focusDraft(draftId: string, nodes: string[], opts: DraftAuthor = {}): Promise<DraftView> {
    return this.request('POST', `v1/drafts/${seg(draftId)}/focus`, { body: { nodes, ...opts } });
  }

  /** Registers the draft as a version, or proposes it to a running run as a patch. */
  commitDraft(draftId: string, req: DraftCommitRequest & DraftAuthor): Promise<DraftCommitResult> {
    return this.request('POST', `v1/drafts/${seg(draftId)}/commit`, { body: req });
  }

  // ---- schedules: runs of a registered workflow at ticks, per namespace -------------------

  /** A new schedule; refused (400, every problem named, nothing stored) when any part is bad. */
  createSchedule(req: CreateScheduleRequest): Promise<ScheduleView> {
    return this.request('POST', 'v1/schedules', { body: req });
  }

  /** The namespace's schedules, the most recently created first. */
  listSchedules(page: PageQuery = {}): Promise<Page<ScheduleView>> {
    return this.request('GET', 'v1/schedules', { query: { ...page } });
  }

  getSchedule(scheduleId: string): Promise<ScheduleView> {
    return this.request('GET', `v1/schedules/${seg(scheduleId)}`);
  }

  /** Deletes the schedule (its runs stay); resolves with it as it was. */
  deleteSchedule(scheduleId: string): Promise<ScheduleView> {
    return this.request('DELETE', `v1/schedules/${seg(scheduleId)}`);
  }

  /** No tick starts until it is resumed. */
  pauseSchedule(scheduleId: string, note?: string): Promise<ScheduleView> {
    return this.request('POST', `v1/schedules/${seg(scheduleId)}/pause`, {
      body: note !== undefined ? { note } : {},
    });
  }

  /** Ticks again from now on (those that came while it was paused are not started). */
  resumeSchedule(scheduleId: string, note?: string): Promise<ScheduleView> {
    return this.request('POST', `v1/schedules/${seg(scheduleId)}/resume`, {
      body: note !== undefined ? { note } : {},
    });
  }

  /** Starts a run now, whatever the overlap policy. */
  triggerSchedule(scheduleId: string): Promise<ScheduledRunView> {
    return this.request('POST', `v1/schedules/${seg(scheduleId)}/trigger`);
  }

  /** Starts the past ticks in [from, to), each once ever (a tick's run id is the tick's). */
  backfillSchedule(
    scheduleId: string,
    range: BackfillRequest,
  ): Promise<{ runs: ScheduledRunView[] }> {
    return this.request('POST', `v1/schedules/${seg(scheduleId)}/backfill`, { body: range });
  }

  // ---- the namespace's budget (set and removed by an admin) ------------------------------

  getNamespaceBudget(): Promise<NamespaceBudgetView> {
    return this.request('GET', 'v1/budget');
  }

  setNamespaceBudget(budget: Budget): Promise<NamespaceBudgetView> {
    return this.request('PUT', 'v1/budget', { body: budget });
  }

  clearNamespaceBudget(): Promise<NamespaceBudgetView> {
    return this.request('DELETE', 'v1/budget');
  }

  // ---- runners outside the cluster (a `runner` token) -------------------------------------

  /**
   * Leases a job with one of `labels` (at once, or as soon as one comes within `waitMs`);
   * undefined when none came.
   */
  async claimRunnerJob(
    req: { labels: string[]; waitMs?: number; leaseMs?: number },
    opts: { signal?: AbortSignal } = {},
  ): Promise<RunnerClaim | undefined> {
    const claim = await this.request<Partial<RunnerClaim>>('POST', 'v1/runner/claim', {
      body: req,
      timeoutMs: (req.waitMs ?? 0) + this.timeoutMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return claim.lease && claim.job ? (claim as RunnerClaim) : undefined;
  }

  /** Keeps a lease alive; its new expiry. LEASE_LOST once another runner has the job. */
  heartbeatRunnerLease(leaseId: string, leaseMs?: number): Promise<{ expiresAt: number }> {
    return this.request('POST', `v1/runner/leases/${seg(leaseId)}/heartbeat`, {
      body: leaseMs !== undefined ? { leaseMs } : {},
    });
  }

  /** Stores a value a result will refer to (an output, a transcript); its reference. */
  async putRunnerContent(leaseId: string, value: unknown): Promise<CasRef> {
    const { ref } = await this.request<{ ref: CasRef }>(
      'POST',
      `v1/runner/leases/${seg(leaseId)}/content`,
      { body: { value } },
    );
    return ref;
  }

  /** Reports on the leased attempt: progress, or its end (accepted once). */
  reportRunnerResult(
    leaseId: string,
    report: RunnerReport,
  ): Promise<{ accepted: true; final: boolean }> {
    return this.request('POST', `v1/runner/leases/${seg(leaseId)}/results`, { body: report });
  }

  /** Token deltas of the leased attempt, for live display (never the event log). */
  reportRunnerDeltas(leaseId: string, deltas: string[]): Promise<{ accepted: number }> {
    return this.request('POST', `v1/runner/leases/${seg(leaseId)}/deltas`, { body: { deltas } });
  }

  /** Gives a lease up: another runner may claim the job at once. */
  releaseRunnerLease(leaseId: string): Promise<{ released: true }> {
    return this.request('POST', `v1/runner/leases/${seg(leaseId)}/release`, { body: {} });
  }

  // ---- plumbing --------------------------------------------------------------------------

  /** Every item of a paged route, following nextCursor; stops after `max` items. */
  async all<T>(
    fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
    max = Infinity,
  ): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await fetchPage(cursor);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== undefined && items.length < max);
    return items.length > max ? items.slice(0, max) : items;
  }

  url(path: string, query: Query = {}): string {
    const url = new URL(path, this.baseUrl);
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    return url.toString();
  }

  private authHeaders(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  private async request<T>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    opts: { query?: Query; body?: unknown; timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    const url = this.url(path, opts.query);
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const headers: Record<string, string> = { accept: 'application/json', ...this.authHeaders() };
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    const init: RequestInit = { method, headers, signal };
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }
    let status: number;
    let statusText: string;
    let text: string;
    try {
      const res = await this.doFetch(url, init);
      status = res.status;
      statusText = res.statusText;
      // Reading the body can fail too (a connection dropped mid-answer): still no answer.
      text = await res.text();
    } catch (err) {
      throw unreachableFrom(url, err, timeoutMs);
    }
    if (status < 200 || status >= 300) throw apiErrorFrom(status, statusText, text);
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new AobApiError({
        status,
        code: 'BAD_RESPONSE',
        detail: `${method} ${url} answered ${status} with a body that is not JSON: ${text.slice(0, 120)}`,
      });
    }
  }

  private async *timelineOf(path: string, opts: TimelineOptions): AsyncGenerator<TimelineMessage> {
    const { after, ...follow } = opts;
    const sse = followSse(this.url(path), {
      ...follow,
      headers: this.authHeaders(),
      ...(after !== undefined ? { lastEventId: String(after) } : {}),
      fetch: this.doFetch,
    });
    for await (const e of sse) {
      let data: unknown;
      try {
        data = e.data === '' ? undefined : (JSON.parse(e.data) as unknown);
      } catch {
        data = e.data;
      }
      const id = e.id !== undefined ? { id: e.id } : {};
      if (e.event === 'NodeOutputDelta' && isDelta(data)) {
        yield { kind: 'delta', ...id, delta: data };
      } else if (isRunEvent(data)) {
        yield { kind: 'event', ...id, event: data };
      } else {
        yield { kind: 'other', ...id, type: e.event, data };
      }
    }
  }
}

/** One path segment: ids and refs may hold `@`, `/` or spaces. */
function seg(s: string): string {
  return encodeURIComponent(s);
}

function isRunEvent(d: unknown): d is AnyRunEvent {
  const o = d as { runId?: unknown; seq?: unknown; type?: unknown } | undefined;
  return (
    !!o && typeof o.runId === 'string' && typeof o.seq === 'number' && typeof o.type === 'string'
  );
}

function isDelta(d: unknown): d is NodeDelta {
  const o = d as { runId?: unknown; nodeId?: unknown; delta?: unknown } | undefined;
  return (
    !!o &&
    typeof o.runId === 'string' &&
    typeof o.nodeId === 'string' &&
    typeof o.delta === 'string'
  );
}
