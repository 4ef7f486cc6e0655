// The control plane (ARCHITECTURE §7–§9): every operation people and programs perform through the API,
// authorised here — once — for REST and gRPC alike. Each takes the caller's Principal first (from
// its bearer token, never from the request body): the role decides what it may do (auth/
// operations.ts), the namespace what it may see. A run of another namespace is NOT FOUND, exactly
// like a run that does not exist, so ids do not leak across tenants. Writes reach runs through the
// RunControl's driver (run commands in the cluster), so the owning orchestrator applies them.
import type { AnyRunEvent, Problem, RunStatus, WorkflowDefinition } from '@aob/core';
import { AobError, ValidationError } from '@aob/core';
import type { ApplicationStore, TokenStore } from '@aob/store';
import type {
  DraftChanges,
  DraftCommitRequest,
  DraftCommitResult,
  DraftListener,
  DraftView,
  GraphDiff,
  NodeDetail,
  NamespaceBudgetView,
  PatchView,
  QuestionView,
  RunControl,
  RunListItem,
  RunnerClaim,
  RunnerDesk,
  RunView,
  ScheduledRunView,
  ScheduleView,
  WorkflowView,
} from '@aob/engine';
import type { BackfillRequest, CreateScheduleRequest } from '@aob/client';
import type { Operation, Principal, TokenView } from './auth/index.js';
import { authorize, issueToken, tokenView } from './auth/index.js';
import type { Page, PageRequest } from './paging.js';
import { pageOf, pageWindow } from './paging.js';
import { checkRunnerReport } from './runner-reports.js';
import { QuestionDesk } from './hitl/questions.js';
import { DraftControl, ScheduleControl, pollUntil } from '@aob/engine';

/** How long a raise of a run's budget waits for the run's owner to apply it. */
const RAISE_WAIT_MS = 10_000;

/** The approvals side (services/hitl's ApprovalDesk), behind the same authorisation. */
export interface ApprovalsPort {
  list(
    principal: Principal,
    opts: { status: 'open' | 'all'; offset?: number; limit?: number },
  ): Promise<{ items: unknown[] }>;
  decide(
    principal: Principal,
    ticketId: string,
    decision: 'approved' | 'rejected',
    reason?: string,
  ): Promise<unknown>;
  reassign(
    principal: Principal,
    ticketId: string,
    approvers: string[],
    reason?: string,
  ): Promise<unknown>;
}

export interface ControlPlaneDeps {
  control: RunControl;
  store: ApplicationStore & TokenStore;
  approvals: ApprovalsPort;
  /** The question desk; default one over `control` (its answers wait 10 s to land). */
  questions?: QuestionDesk;
  /**
   * The runner queue, for runners outside the cluster (`runner` tokens). Absent (`aob dev`):
   * its operations answer RUNNER_QUEUE_UNAVAILABLE.
   */
  runners?: Pick<
    RunnerDesk,
    'claim' | 'heartbeat' | 'putContent' | 'report' | 'deltas' | 'release'
  >;
  /**
   * Drafts of workflows being edited (engine app/drafts.ts). Default: one over `store` and
   * `control` (pass the process's own, e.g. `engine.drafts`, so that its watchers hear this
   * plane's changes at once rather than at their next poll).
   */
  drafts?: DraftControl;
  /** Schedules (engine schedules/). Default: one over `store` and `control`. */
  schedules?: ScheduleControl;
  now?: () => number;
}

/** `POST /v1/schedules/{id}/pause` and `…/resume`. */
export interface ScheduleNoteBody {
  note?: string;
}

/** Who a draft's change is by: an agent may name itself (`author`), as `subject (author)`. */
export interface DraftAuthorBody {
  author?: string;
}

export interface OpenDraftBody extends DraftAuthorBody {
  /** A registered workflow `name[@version]` to start from. */
  from?: string;
  /** A definition to start from (held to the draft's structural rules). */
  definition?: unknown;
  title?: string;
}

export interface ChangeDraftBody extends DraftAuthorBody {
  /** RFC 6902 operations, applied in order. */
  ops: unknown;
  /** Apply only if the draft is still at this revision (else DRAFT_CONFLICT). */
  expectRevision?: number;
}

export interface UndoDraftBody extends DraftAuthorBody {
  /** Take back the newest of the caller's own changes (same author string) only. */
  mine?: boolean;
}

export interface FocusDraftBody extends DraftAuthorBody {
  nodes: string[];
}

export type CommitDraftBody = DraftCommitRequest & DraftAuthorBody;

export interface StartRunBody {
  workflow?: string;
  definition?: unknown;
  inputs?: unknown;
  runId?: string;
  /** The run's own limits; checked by the application (every problem named). */
  budget?: unknown;
}

export interface PatchBody {
  target: string;
  ops?: unknown[];
  patch?: unknown;
  rationale?: string;
}

/** The longest a `wait` holds a request open. */
export const MAX_WAIT_MS = 60_000;

export class ControlPlane {
  private readonly now: () => number;
  private readonly questions: QuestionDesk;
  private readonly drafts: DraftControl;
  private readonly schedules: ScheduleControl;

  constructor(private readonly deps: ControlPlaneDeps) {
    this.now = deps.now ?? Date.now;
    this.questions = deps.questions ?? new QuestionDesk({ control: deps.control });
    this.drafts =
      deps.drafts ?? new DraftControl({ store: deps.store, control: deps.control, now: this.now });
    this.schedules =
      deps.schedules ??
      new ScheduleControl({ store: deps.store, control: deps.control, now: this.now });
  }

  /** Checks the principal may call `op`: every entry point calls this first. */
  authorize(p: Principal, op: Operation): void {
    authorize(p, op);
  }

  whoami(p: Principal): Principal {
    this.authorize(p, 'whoami');
    return p;
  }

  // ---- workflows (a registry shared by every namespace; versions are immutable) -----------

  validateWorkflow(p: Principal, definition: unknown): { valid: boolean; errors: Problem[] } {
    this.authorize(p, 'validateWorkflow');
    return this.deps.control.validate(definition);
  }

  async registerWorkflow(p: Principal, definition: unknown): Promise<WorkflowView> {
    this.authorize(p, 'registerWorkflow');
    return this.deps.control.registerWorkflow(definition);
  }

  async listWorkflows(p: Principal, page: PageRequest): Promise<Page<WorkflowView>> {
    this.authorize(p, 'listWorkflows');
    const { offset, limit } = pageWindow(page);
    const all = await this.deps.control.listWorkflows();
    return pageOf(all.slice(offset, offset + limit + 1), offset, limit);
  }

  async showWorkflow(
    p: Principal,
    ref: string,
    patches?: string[],
  ): Promise<{ definition: WorkflowDefinition; irHash: string }> {
    this.authorize(p, 'showWorkflow');
    return this.deps.control.showRegisteredWorkflow(ref, patches);
  }

  // ---- runs -----------------------------------------------------------------------------

  /**
   * Starts a run; `pending` when the run was handed to the orchestrators and none has started it
   * within the wait (it starts once one takes its command).
   */
  async startRun(p: Principal, body: StartRunBody): Promise<{ runId: string; pending?: true }> {
    this.authorize(p, 'startRun');
    const hasWorkflow = body.workflow !== undefined;
    const hasDefinition = body.definition !== undefined;
    if (hasWorkflow === hasDefinition) {
      throw new ValidationError(
        [
          {
            code: 'ONE_OF',
            path: hasWorkflow ? '' : '/workflow',
            message: 'give exactly one of workflow (a registered name[@version]) or definition',
          },
        ],
        'body',
      );
    }
    const definition = hasWorkflow
      ? await this.deps.control.registeredWorkflow(body.workflow!)
      : body.definition;
    try {
      const runId = await this.deps.control.start(definition, body.inputs ?? {}, {
        actor: p.subject,
        namespace: p.namespace,
        ...(body.runId !== undefined ? { runId: body.runId } : {}),
        ...(body.budget !== undefined ? { budget: body.budget } : {}),
      });
      return { runId };
    } catch (err) {
      const pending = pendingRunId(err);
      if (pending !== undefined) return { runId: pending, pending: true };
      throw err;
    }
  }

  async getRun(p: Principal, runId: string): Promise<RunView> {
    this.authorize(p, 'getRun');
    await this.ownRun(p, runId);
    return this.deps.control.get(runId);
  }

  async getRunNode(p: Principal, runId: string, nodeId: string): Promise<NodeDetail> {
    this.authorize(p, 'getRunNode');
    await this.ownRun(p, runId);
    return this.deps.control.node(runId, nodeId);
  }

  async getRunContent(p: Principal, runId: string, ref: string): Promise<unknown> {
    this.authorize(p, 'getRunContent');
    await this.ownRun(p, runId);
    return this.deps.control.content(runId, ref);
  }

  async listRuns(
    p: Principal,
    opts: PageRequest & { status?: RunStatus[] },
  ): Promise<Page<RunListItem>> {
    this.authorize(p, 'listRuns');
    const { offset, limit } = pageWindow(opts);
    const items = await this.deps.control.list({
      namespace: p.namespace,
      offset,
      limit: limit + 1,
      ...(opts.status && opts.status.length > 0 ? { status: opts.status } : {}),
    });
    return pageOf(items, offset, limit);
  }

  async runEvents(
    p: Principal,
    runId: string,
    opts: { fromSeq?: number; limit?: number },
  ): Promise<Page<AnyRunEvent>> {
    this.authorize(p, 'runEvents');
    await this.ownRun(p, runId);
    const { limit } = pageWindow({ limit: opts.limit, defaultLimit: 500, maxLimit: 5_000 });
    const from = opts.fromSeq ?? 1;
    const events = await this.deps.control.events(runId, from);
    const items = events.slice(0, limit);
    return events.length > limit ? { items, nextCursor: String(from + limit) } : { items };
  }

  async waitRun(
    p: Principal,
    runId: string,
    opts: { timeoutMs?: number; untilSettled?: boolean },
  ): Promise<RunView> {
    this.authorize(p, 'waitRun');
    await this.ownRun(p, runId);
    return this.deps.control.wait(runId, {
      timeoutMs: Math.min(opts.timeoutMs ?? 30_000, MAX_WAIT_MS),
      ...(opts.untilSettled !== undefined ? { untilSettled: opts.untilSettled } : {}),
    });
  }

  async cancelRun(p: Principal, runId: string, reason?: string): Promise<RunView> {
    this.authorize(p, 'cancelRun');
    await this.ownRun(p, runId);
    await this.deps.control.cancel(runId, reason, p.subject);
    return this.deps.control.get(runId);
  }

  /**
   * Raises limits of a live run's budget (a run paused by its budget goes on once none is
   * crossed) and returns the run once the raise is in its log.
   */
  async raiseRunBudget(p: Principal, runId: string, body: unknown): Promise<RunView> {
    this.authorize(p, 'raiseRunBudget');
    await this.ownRun(p, runId);
    const before = (await this.deps.control.events(runId)).length;
    await this.deps.control.raiseRunBudget(runId, body, p.subject);
    const landed = await pollUntil(
      async () => {
        const events = await this.deps.control.events(runId, before + 1);
        return events.some((e) => e.type === 'BudgetRaised') ? true : undefined;
      },
      { timeoutMs: RAISE_WAIT_MS, everyMs: 100 },
    );
    if (!landed) {
      throw new AobError(
        'DECISION_PENDING',
        `the raise of run ${runId}'s budget is sent but the run's owner has not applied it within ${RAISE_WAIT_MS} ms; get the run to see whether it landed`,
      );
    }
    return this.deps.control.get(runId);
  }

  async replayRun(
    p: Principal,
    runId: string,
    body: { fromNode: string; mode?: 'freeze' | 'live' },
  ): Promise<{ runId: string }> {
    this.authorize(p, 'replayRun');
    await this.ownRun(p, runId);
    const replayId = await this.deps.control.replay(
      runId,
      body.fromNode,
      body.mode ?? 'freeze',
      p.subject,
    );
    return { runId: replayId };
  }

  /**
   * Throws RUN_NOT_FOUND unless the run exists in the principal's namespace and, for a job token,
   * is the one run the token is scoped to: another run is as unknown to it as another
   * namespace's.
   */
  async ownRun(p: Principal, runId: string): Promise<void> {
    const summary =
      p.runId === undefined || p.runId === runId ? await this.deps.store.getRun(runId) : undefined;
    if (!summary || summary.namespace !== p.namespace) {
      throw new AobError('RUN_NOT_FOUND', `no run ${runId}`);
    }
  }

  // ---- approvals (the desk checks eligibility and the namespace) --------------------------

  async listApprovals(
    p: Principal,
    opts: PageRequest & { status?: 'open' | 'all' },
  ): Promise<Page<unknown>> {
    this.authorize(p, 'listApprovals');
    const { offset, limit } = pageWindow(opts);
    const { items } = await this.deps.approvals.list(p, {
      status: opts.status ?? 'open',
      offset,
      limit: limit + 1,
    });
    return pageOf(items, offset, limit);
  }

  async decideApproval(
    p: Principal,
    ticketId: string,
    body: { decision: 'approve' | 'reject' | 'approved' | 'rejected'; reason?: string },
  ): Promise<unknown> {
    this.authorize(p, 'decideApproval');
    // The CLI's words (approve, reject) and the recorded ones (approved, rejected) both decide.
    const decision =
      body.decision === 'approve' || body.decision === 'approved' ? 'approved' : 'rejected';
    return this.deps.approvals.decide(p, ticketId, decision, body.reason);
  }

  async reassignApproval(
    p: Principal,
    ticketId: string,
    body: { approvers: string[]; reason?: string },
  ): Promise<unknown> {
    this.authorize(p, 'reassignApproval');
    return this.deps.approvals.reassign(p, ticketId, body.approvers, body.reason);
  }

  // ---- questions to people (the desk checks askees, the engine the answer) ---------------

  async listQuestions(
    p: Principal,
    opts: PageRequest & { status?: 'open' | 'all'; runId?: string; mine?: boolean },
  ): Promise<Page<QuestionView>> {
    this.authorize(p, 'listQuestions');
    const { offset, limit } = pageWindow(opts);
    const { items } = await this.questions.list(p, {
      status: opts.status ?? 'open',
      ...(opts.runId !== undefined ? { runId: opts.runId } : {}),
      ...(opts.mine ? { mine: true } : {}),
      offset,
      limit: limit + 1,
    });
    return pageOf(items, offset, limit);
  }

  async getQuestion(p: Principal, questionId: string): Promise<QuestionView> {
    this.authorize(p, 'getQuestion');
    return this.questions.get(p, questionId);
  }

  async answerQuestion(
    p: Principal,
    questionId: string,
    body: { answer?: unknown },
  ): Promise<QuestionView> {
    this.authorize(p, 'answerQuestion');
    return this.questions.answer(p, questionId, body.answer);
  }

  // ---- patches --------------------------------------------------------------------------

  async proposePatch(p: Principal, body: PatchBody): Promise<PatchView> {
    this.authorize(p, 'proposePatch');
    if (await this.deps.control.isRun(body.target)) await this.ownRun(p, body.target);
    else if (p.runId !== undefined) {
      throw new AobError(
        'FORBIDDEN',
        `a job token proposes patches to its run ${p.runId} only, not to the workflow ${body.target}`,
      );
    }
    return this.deps.control.proposePatch(body.target, patchDocument(body), {
      author: p.subject,
      ...(body.rationale !== undefined ? { rationale: body.rationale } : {}),
    });
  }

  async checkPatch(
    p: Principal,
    body: PatchBody,
  ): Promise<{
    status: 'applied' | 'held' | 'rejected';
    violations: Problem[];
    reasons?: Problem[];
  }> {
    this.authorize(p, 'checkPatch');
    if (!(await this.deps.control.isRun(body.target))) {
      throw new ValidationError(
        [
          {
            code: 'NOT_A_RUN',
            path: '/target',
            message: `${body.target} is no run: checks judge run patches (a workflow patch is judged when proposed and registers nothing when rejected)`,
          },
        ],
        'body',
      );
    }
    await this.ownRun(p, body.target);
    return this.deps.control.checkPatch(body.target, patchDocument(body), p.subject);
  }

  async listPatches(
    p: Principal,
    opts: PageRequest & { runId?: string; workflow?: string; status?: string },
  ): Promise<Page<PatchView>> {
    this.authorize(p, 'listPatches');
    // A job token lists the patches of its run only.
    if (p.runId !== undefined && opts.workflow !== undefined) {
      throw new AobError(
        'FORBIDDEN',
        `a job token lists the patches of its run ${p.runId} only, not of the workflow ${opts.workflow}`,
      );
    }
    const runId = opts.runId ?? p.runId;
    if (runId !== undefined) await this.ownRun(p, runId);
    const { offset, limit } = pageWindow(opts);
    const all = await this.deps.control.patches({
      ...(runId !== undefined ? { runId } : {}),
      ...(opts.workflow !== undefined ? { workflow: opts.workflow } : {}),
      namespace: p.namespace,
    });
    const wanted = opts.status === undefined ? all : all.filter((x) => x.status === opts.status);
    return pageOf(wanted.slice(offset, offset + limit + 1), offset, limit);
  }

  async getPatch(p: Principal, patchId: string): Promise<{ patch: PatchView; diff?: GraphDiff }> {
    this.authorize(p, 'getPatch');
    return this.ownPatch(p, patchId);
  }

  async reviewPatch(
    p: Principal,
    patchId: string,
    body: { decision: 'approved' | 'rejected'; reason?: string },
  ): Promise<PatchView> {
    this.authorize(p, 'reviewPatch');
    await this.ownPatch(p, patchId);
    return this.deps.control.reviewPatch(patchId, body.decision, p.subject, body.reason);
  }

  async revertPatch(
    p: Principal,
    patchId: string,
  ): Promise<{ patch: PatchView; revert?: PatchView }> {
    this.authorize(p, 'revertPatch');
    await this.ownPatch(p, patchId);
    return this.deps.control.revertPatch(patchId, p.subject);
  }

  /**
   * The patch, if the principal may see it: a run patch of another namespace (or, for a job
   * token, of another run) is NOT FOUND.
   */
  private async ownPatch(
    p: Principal,
    patchId: string,
  ): Promise<{ patch: PatchView; diff?: GraphDiff }> {
    const found = await this.deps.control.patch(patchId);
    const notFound = () => new AobError('PATCH_NOT_FOUND', `no patch ${patchId}`);
    if (found.patch.scope === 'run') {
      const summary = await this.deps.store.getRun(found.patch.runId!);
      if (summary?.namespace !== p.namespace) throw notFound();
    }
    // A job token sees the patches of its run only.
    if (p.runId !== undefined && found.patch.runId !== p.runId) throw notFound();
    return found;
  }

  // ---- drafts: workflows being edited, per namespace (another's draft is DRAFT_NOT_FOUND) ----

  async openDraft(p: Principal, body: OpenDraftBody = {}): Promise<DraftView> {
    this.authorize(p, 'openDraft');
    return this.drafts.open(p.namespace, draftAuthor(p, body.author), {
      ...(body.from !== undefined ? { from: body.from } : {}),
      ...(body.definition !== undefined ? { definition: body.definition } : {}),
      ...(body.title !== undefined ? { title: body.title } : {}),
    });
  }

  async listDrafts(p: Principal, page: PageRequest): Promise<Page<DraftView>> {
    this.authorize(p, 'listDrafts');
    const { offset, limit } = pageWindow(page);
    const items = await this.drafts.list(p.namespace, { offset, limit: limit + 1 });
    return pageOf(items, offset, limit);
  }

  async getDraft(p: Principal, draftId: string): Promise<DraftView> {
    this.authorize(p, 'getDraft');
    return this.drafts.get(p.namespace, draftId);
  }

  async changeDraft(p: Principal, draftId: string, body: ChangeDraftBody): Promise<DraftView> {
    this.authorize(p, 'changeDraft');
    return this.drafts.change(p.namespace, draftId, {
      ops: body.ops,
      by: draftAuthor(p, body.author),
      ...(body.expectRevision !== undefined ? { expectRevision: body.expectRevision } : {}),
    });
  }

  async undoDraft(p: Principal, draftId: string, body: UndoDraftBody = {}): Promise<DraftView> {
    this.authorize(p, 'undoDraft');
    const by = draftAuthor(p, body.author);
    return this.drafts.undo(p.namespace, draftId, { by, ...(body.mine ? { onlyBy: by } : {}) });
  }

  async focusDraft(p: Principal, draftId: string, body: FocusDraftBody): Promise<DraftView> {
    this.authorize(p, 'focusDraft');
    return this.drafts.focus(p.namespace, draftId, {
      nodes: body.nodes,
      by: draftAuthor(p, body.author),
    });
  }

  async draftChanges(
    p: Principal,
    draftId: string,
    opts: { after?: number; limit?: number } = {},
  ): Promise<DraftChanges> {
    this.authorize(p, 'draftChanges');
    return this.drafts.changes(p.namespace, draftId, opts);
  }

  /**
   * Registers the draft as a workflow version (which needs registerWorkflow: agents may not) or
   * proposes it to a run of the namespace as a patch (proposePatch: agents may, the run's policy
   * decides).
   */
  async commitDraft(
    p: Principal,
    draftId: string,
    body: CommitDraftBody,
  ): Promise<DraftCommitResult> {
    this.authorize(p, 'commitDraft');
    if (body.as === 'patch') {
      this.authorize(p, 'proposePatch');
      if (typeof body.runId === 'string') await this.ownRun(p, body.runId);
    } else this.authorize(p, 'registerWorkflow');
    const { author, ...req } = body;
    return this.drafts.commit(p.namespace, draftId, draftAuthor(p, author), req);
  }

  async deleteDraft(p: Principal, draftId: string): Promise<DraftView> {
    this.authorize(p, 'deleteDraft');
    return this.drafts.delete(p.namespace, draftId);
  }

  // ---- schedules: runs started at ticks, per namespace (another's is SCHEDULE_NOT_FOUND) ----

  async createSchedule(p: Principal, body: CreateScheduleRequest): Promise<ScheduleView> {
    this.authorize(p, 'createSchedule');
    return this.schedules.create(body, { namespace: p.namespace, by: p.subject });
  }

  async listSchedules(p: Principal, page: PageRequest): Promise<Page<ScheduleView>> {
    this.authorize(p, 'listSchedules');
    const { offset, limit } = pageWindow(page);
    const items = await this.schedules.list(p.namespace, { offset, limit: limit + 1 });
    return pageOf(items, offset, limit);
  }

  async getSchedule(p: Principal, scheduleId: string): Promise<ScheduleView> {
    this.authorize(p, 'getSchedule');
    return this.schedules.get(scheduleId, p.namespace);
  }

  async pauseSchedule(
    p: Principal,
    scheduleId: string,
    body: ScheduleNoteBody = {},
  ): Promise<ScheduleView> {
    this.authorize(p, 'pauseSchedule');
    return this.schedules.pause(scheduleId, p.namespace, noteOf(body));
  }

  async resumeSchedule(
    p: Principal,
    scheduleId: string,
    body: ScheduleNoteBody = {},
  ): Promise<ScheduleView> {
    this.authorize(p, 'resumeSchedule');
    return this.schedules.resume(scheduleId, p.namespace, noteOf(body));
  }

  async triggerSchedule(p: Principal, scheduleId: string): Promise<ScheduledRunView> {
    this.authorize(p, 'triggerSchedule');
    return this.schedules.trigger(scheduleId, p.namespace, p.subject);
  }

  async backfillSchedule(
    p: Principal,
    scheduleId: string,
    body: BackfillRequest,
  ): Promise<{ runs: ScheduledRunView[] }> {
    this.authorize(p, 'backfillSchedule');
    return { runs: await this.schedules.backfill(scheduleId, p.namespace, body, p.subject) };
  }

  /** Deletes the schedule (its runs stay); resolves with it as it was. */
  async deleteSchedule(p: Principal, scheduleId: string): Promise<ScheduleView> {
    this.authorize(p, 'deleteSchedule');
    const was = await this.schedules.get(scheduleId, p.namespace);
    await this.schedules.delete(scheduleId, p.namespace);
    return was;
  }

  /**
   * Follows a draft (SSE, MCP subscriptions): `listener` hears first the draft as it is now (kind
   * `changed`, unless `current: false`), then every change, focus and commit, and its deletion.
   * Resolves with the unsubscribe once it listens.
   */
  async watchDraft(
    p: Principal,
    draftId: string,
    listener: DraftListener,
    opts: { current?: boolean } = {},
  ): Promise<() => void> {
    this.authorize(p, 'followDraft');
    const draft = await this.drafts.get(p.namespace, draftId);
    const stop = this.drafts.watch(draftId, listener, draft);
    if (opts.current !== false) listener({ kind: 'changed', revision: draft.revision, draft });
    return stop;
  }

  // ---- tokens (an admin manages its own namespace's) ----------------------------------------

  async createToken(
    p: Principal,
    body: { subject: string; role: string; groups?: string[] },
  ): Promise<{ token: string } & TokenView> {
    this.authorize(p, 'createToken');
    const { token, view } = await issueToken(
      this.deps.store,
      { ...body, namespace: p.namespace },
      p.subject,
      this.now(),
    );
    return { token, ...view };
  }

  // ---- namespace budgets: always the caller's own namespace ------------------------------

  async getNamespaceBudget(p: Principal): Promise<NamespaceBudgetView> {
    this.authorize(p, 'getNamespaceBudget');
    return this.deps.control.namespaceBudget(p.namespace);
  }

  async setNamespaceBudget(p: Principal, budget: unknown): Promise<NamespaceBudgetView> {
    this.authorize(p, 'setNamespaceBudget');
    return this.deps.control.setNamespaceBudget(p.namespace, budget, p.subject);
  }

  async clearNamespaceBudget(p: Principal): Promise<NamespaceBudgetView> {
    this.authorize(p, 'clearNamespaceBudget');
    const was = await this.deps.control.namespaceBudget(p.namespace);
    await this.deps.control.clearNamespaceBudget(p.namespace);
    return was;
  }

  // ---- runners outside the cluster: a runner token, its namespace's jobs ------------------

  /** A job with one of the labels, leased to the runner; `{}` when none came within the wait. */
  async claimRunnerJob(
    p: Principal,
    body: { labels: string[]; waitMs?: number; leaseMs?: number },
    signal?: AbortSignal,
  ): Promise<RunnerClaim | Record<string, never>> {
    this.authorize(p, 'claimRunnerJob');
    return (await this.runners().claim(p, body, signal)) ?? {};
  }

  async heartbeatRunnerLease(
    p: Principal,
    leaseId: string,
    body: { leaseMs?: number },
  ): Promise<{ expiresAt: number }> {
    this.authorize(p, 'heartbeatRunnerLease');
    return this.runners().heartbeat(p, leaseId, body.leaseMs);
  }

  async putRunnerContent(
    p: Principal,
    leaseId: string,
    body: { value?: unknown },
  ): Promise<{ ref: unknown }> {
    this.authorize(p, 'putRunnerContent');
    return { ref: await this.runners().putContent(p, leaseId, body.value ?? null) };
  }

  /** The runner's report, checked against schemas/agent-result.schema.json, then forwarded. */
  async reportRunnerResult(
    p: Principal,
    leaseId: string,
    body: unknown,
  ): Promise<{ accepted: true; final: boolean }> {
    this.authorize(p, 'reportRunnerResult');
    const report = checkRunnerReport(body);
    return this.runners().report(p, leaseId, report);
  }

  /** Token deltas of the leased attempt (checked against openapi.json), for live display. */
  async reportRunnerDeltas(
    p: Principal,
    leaseId: string,
    body: { deltas?: string[] },
  ): Promise<{ accepted: number }> {
    this.authorize(p, 'reportRunnerDeltas');
    return this.runners().deltas(p, leaseId, body.deltas ?? []);
  }

  async releaseRunnerLease(p: Principal, leaseId: string): Promise<{ released: true }> {
    this.authorize(p, 'releaseRunnerLease');
    return this.runners().release(p, leaseId);
  }

  private runners(): NonNullable<ControlPlaneDeps['runners']> {
    const desk = this.deps.runners;
    if (!desk) {
      throw new AobError(
        'RUNNER_QUEUE_UNAVAILABLE',
        'this server keeps no runner queue: runners outside the cluster (aob agent-runner) take jobs from a cluster API (aob server --services api on PostgreSQL)',
      );
    }
    return desk;
  }

  async listTokens(p: Principal, page: PageRequest): Promise<Page<TokenView>> {
    this.authorize(p, 'listTokens');
    const { offset, limit } = pageWindow(page);
    const all = (await this.deps.store.listTokens(p.namespace)).map(tokenView);
    return pageOf(all.slice(offset, offset + limit + 1), offset, limit);
  }

  async revokeToken(p: Principal, tokenId: string): Promise<TokenView> {
    this.authorize(p, 'revokeToken');
    const mine = (await this.deps.store.listTokens(p.namespace)).find((t) => t.tokenId === tokenId);
    if (!mine) throw new AobError('TOKEN_NOT_FOUND', `no token ${tokenId}`);
    if (mine.revokedAt !== undefined) {
      throw new AobError('TOKEN_REVOKED', `token ${tokenId} is revoked already`);
    }
    const at = this.now();
    await this.deps.store.revokeToken(tokenId, at);
    return tokenView({ ...mine, revokedAt: at });
  }
}

/**
 * The author a draft records: the principal's subject, or `subject (name)` for a caller (an MCP
 * agent) that names itself — never the request's claim alone.
 */
function draftAuthor(p: Principal, name: unknown): string {
  if (name === undefined) return p.subject;
  if (typeof name !== 'string' || !/^[^()\u0000-\u001f\u007f]{1,64}$/u.test(name) || !name.trim()) {
    throw new ValidationError(
      [
        {
          code: 'SCHEMA',
          path: '/author',
          message:
            'must be a name of 1 to 64 characters, without parentheses or control characters',
        },
      ],
      'body',
    );
  }
  return `${p.subject} (${name.trim()})`;
}

/** The patch as RunControl takes it: the operation array, or the whole document. */
function patchDocument(body: PatchBody): unknown {
  return body.ops !== undefined ? body.ops : body.patch;
}

/** The run id of a RUN_PENDING error (a start handed over but not yet applied). */
function pendingRunId(err: unknown): string | undefined {
  const e = err as { code?: unknown; details?: { runId?: unknown } } | null;
  return e?.code === 'RUN_PENDING' && typeof e.details?.runId === 'string'
    ? e.details.runId
    : undefined;
}

/** A pause or resume note, checked here too (the MCP tools call without the REST schema). */
function noteOf(body: ScheduleNoteBody): string | undefined {
  if (body.note === undefined) return undefined;
  if (typeof body.note !== 'string' || body.note.length > 1_000) {
    throw new ValidationError(
      [{ code: 'SCHEMA', path: '/note', message: 'must be text of at most 1000 characters' }],
      'schedule note',
    );
  }
  return body.note;
}
