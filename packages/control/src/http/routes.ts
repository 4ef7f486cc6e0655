// What each operation of the OpenAPI document does: the request's parts in, the control plane's
// answer out. Authentication and the role check happen before (server.ts); the namespace and
// everything about the resource happen in the ControlPlane.
import type { RunStatus } from '@aob/core';
import type {
  ChangeDraftBody,
  CommitDraftBody,
  ControlPlane,
  FocusDraftBody,
  OpenDraftBody,
  PatchBody,
  ScheduleNoteBody,
  StartRunBody,
  UndoDraftBody,
} from '../control-plane.js';
import type { Principal } from '../auth/index.js';
import type { BackfillRequest, CreateScheduleRequest } from '@aob/client';

export interface RouteInput {
  principal: Principal;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  /** Aborts when the caller goes away before the answer (a long poll stops waiting). */
  signal?: AbortSignal;
}

export interface RouteOutput {
  status: number;
  body: unknown;
}

type Handler = (plane: ControlPlane, input: RouteInput) => Promise<RouteOutput> | RouteOutput;

const ok = (body: unknown): RouteOutput => ({ status: 200, body });
const created = (body: unknown): RouteOutput => ({ status: 201, body });
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const page = (q: Record<string, unknown>) => ({
  ...(str(q.cursor) !== undefined ? { cursor: str(q.cursor)! } : {}),
  ...(num(q.limit) !== undefined ? { limit: num(q.limit)! } : {}),
});
const obj = (b: unknown) => (b ?? {}) as Record<string, unknown>;

/** The handler of every operationId in the document except the two timelines (SSE). */
export const HANDLERS: Record<string, Handler> = {
  whoami: (plane, { principal }) => ok(plane.whoami(principal)),
  validateWorkflow: (plane, { principal, body }) =>
    ok(plane.validateWorkflow(principal, obj(body).definition)),
  registerWorkflow: async (plane, { principal, body }) =>
    created(await plane.registerWorkflow(principal, obj(body).definition)),
  listWorkflows: async (plane, { principal, query }) =>
    ok(await plane.listWorkflows(principal, page(query))),
  showWorkflow: async (plane, { principal, params, query }) =>
    ok(
      await plane.showWorkflow(
        principal,
        params.ref!,
        str(query.patches)
          ?.split(',')
          .map((s) => s.trim()),
      ),
    ),
  startRun: async (plane, { principal, body }) => {
    const run = await plane.startRun(principal, body as StartRunBody);
    return run.pending ? { status: 202, body: run } : created(run);
  },
  listRuns: async (plane, { principal, query }) =>
    ok(
      await plane.listRuns(principal, {
        ...page(query),
        ...(str(query.status) ? { status: str(query.status)!.split(',') as RunStatus[] } : {}),
      }),
    ),
  getRun: async (plane, { principal, params }) => ok(await plane.getRun(principal, params.runId!)),
  getRunNode: async (plane, { principal, params }) =>
    ok(await plane.getRunNode(principal, params.runId!, params.nodeId!)),
  getRunContent: async (plane, { principal, params }) =>
    ok(await plane.getRunContent(principal, params.runId!, params.ref!)),
  runEvents: async (plane, { principal, params, query }) =>
    ok(
      await plane.runEvents(principal, params.runId!, {
        ...(num(query.fromSeq) !== undefined ? { fromSeq: num(query.fromSeq)! } : {}),
        ...(num(query.limit) !== undefined ? { limit: num(query.limit)! } : {}),
      }),
    ),
  waitRun: async (plane, { principal, params, query }) =>
    ok(
      await plane.waitRun(principal, params.runId!, {
        ...(num(query.timeoutMs) !== undefined ? { timeoutMs: num(query.timeoutMs)! } : {}),
        ...(typeof query.untilSettled === 'boolean' ? { untilSettled: query.untilSettled } : {}),
      }),
    ),
  cancelRun: async (plane, { principal, params, body }) =>
    ok(await plane.cancelRun(principal, params.runId!, str(obj(body).reason))),
  raiseRunBudget: async (plane, { principal, params, body }) =>
    ok(await plane.raiseRunBudget(principal, params.runId!, body)),
  replayRun: async (plane, { principal, params, body }) =>
    created(
      await plane.replayRun(
        principal,
        params.runId!,
        body as { fromNode: string; mode?: 'freeze' | 'live' },
      ),
    ),
  listApprovals: async (plane, { principal, query }) =>
    ok(
      await plane.listApprovals(principal, {
        ...page(query),
        ...(query.status === 'all' || query.status === 'open' ? { status: query.status } : {}),
      }),
    ),
  decideApproval: async (plane, { principal, params, body }) =>
    ok(
      await plane.decideApproval(
        principal,
        params.ticketId!,
        body as { decision: 'approve' | 'reject' | 'approved' | 'rejected'; reason?: string },
      ),
    ),
  reassignApproval: async (plane, { principal, params, body }) =>
    ok(
      await plane.reassignApproval(
        principal,
        params.ticketId!,
        body as { approvers: string[]; reason?: string },
      ),
    ),
  listQuestions: async (plane, { principal, query }) =>
    ok(
      await plane.listQuestions(principal, {
        ...page(query),
        ...(query.status === 'all' || query.status === 'open' ? { status: query.status } : {}),
        ...(str(query.run) !== undefined ? { runId: str(query.run)! } : {}),
        ...(query.mine === true ? { mine: true } : {}),
      }),
    ),
  getQuestion: async (plane, { principal, params }) =>
    ok(await plane.getQuestion(principal, params.questionId!)),
  answerQuestion: async (plane, { principal, params, body }) =>
    ok(await plane.answerQuestion(principal, params.questionId!, obj(body))),
  proposePatch: async (plane, { principal, body }) =>
    created(await plane.proposePatch(principal, body as PatchBody)),
  checkPatch: async (plane, { principal, body }) =>
    ok(await plane.checkPatch(principal, body as PatchBody)),
  listPatches: async (plane, { principal, query }) =>
    ok(
      await plane.listPatches(principal, {
        ...page(query),
        ...(str(query.run) !== undefined ? { runId: str(query.run)! } : {}),
        ...(str(query.workflow) !== undefined ? { workflow: str(query.workflow)! } : {}),
        ...(str(query.status) !== undefined ? { status: str(query.status)! } : {}),
      }),
    ),
  getPatch: async (plane, { principal, params }) =>
    ok(await plane.getPatch(principal, params.patchId!)),
  reviewPatch: async (plane, { principal, params, body }) =>
    ok(
      await plane.reviewPatch(
        principal,
        params.patchId!,
        body as { decision: 'approved' | 'rejected'; reason?: string },
      ),
    ),
  revertPatch: async (plane, { principal, params }) =>
    ok(await plane.revertPatch(principal, params.patchId!)),
  createToken: async (plane, { principal, body }) =>
    created(
      await plane.createToken(
        principal,
        body as { subject: string; role: string; groups?: string[] },
      ),
    ),
  listTokens: async (plane, { principal, query }) =>
    ok(await plane.listTokens(principal, page(query))),
  revokeToken: async (plane, { principal, params }) =>
    ok(await plane.revokeToken(principal, params.tokenId!)),
  getNamespaceBudget: async (plane, { principal }) => ok(await plane.getNamespaceBudget(principal)),
  setNamespaceBudget: async (plane, { principal, body }) =>
    ok(await plane.setNamespaceBudget(principal, body)),
  clearNamespaceBudget: async (plane, { principal }) =>
    ok(await plane.clearNamespaceBudget(principal)),
  claimRunnerJob: async (plane, { principal, body, signal }) =>
    ok(
      await plane.claimRunnerJob(
        principal,
        body as { labels: string[]; waitMs?: number; leaseMs?: number },
        signal,
      ),
    ),
  heartbeatRunnerLease: async (plane, { principal, params, body }) =>
    ok(await plane.heartbeatRunnerLease(principal, params.leaseId!, obj(body))),
  putRunnerContent: async (plane, { principal, params, body }) =>
    ok(await plane.putRunnerContent(principal, params.leaseId!, obj(body))),
  reportRunnerResult: async (plane, { principal, params, body }) =>
    ok(await plane.reportRunnerResult(principal, params.leaseId!, body)),
  reportRunnerDeltas: async (plane, { principal, params, body }) =>
    ok(
      await plane.reportRunnerDeltas(
        principal,
        params.leaseId!,
        obj(body) as { deltas?: string[] },
      ),
    ),
  releaseRunnerLease: async (plane, { principal, params }) =>
    ok(await plane.releaseRunnerLease(principal, params.leaseId!)),
  openDraft: async (plane, { principal, body }) =>
    created(await plane.openDraft(principal, obj(body) as OpenDraftBody)),
  listDrafts: async (plane, { principal, query }) =>
    ok(await plane.listDrafts(principal, page(query))),
  getDraft: async (plane, { principal, params }) =>
    ok(await plane.getDraft(principal, params.draftId!)),
  deleteDraft: async (plane, { principal, params }) =>
    ok(await plane.deleteDraft(principal, params.draftId!)),
  changeDraft: async (plane, { principal, params, body }) =>
    ok(await plane.changeDraft(principal, params.draftId!, body as ChangeDraftBody)),
  draftChanges: async (plane, { principal, params, query }) =>
    ok(
      await plane.draftChanges(principal, params.draftId!, {
        ...(num(query.after) !== undefined ? { after: num(query.after)! } : {}),
        ...(num(query.limit) !== undefined ? { limit: num(query.limit)! } : {}),
      }),
    ),
  undoDraft: async (plane, { principal, params, body }) =>
    ok(await plane.undoDraft(principal, params.draftId!, obj(body) as UndoDraftBody)),
  focusDraft: async (plane, { principal, params, body }) =>
    ok(await plane.focusDraft(principal, params.draftId!, body as FocusDraftBody)),
  commitDraft: async (plane, { principal, params, body }) =>
    ok(await plane.commitDraft(principal, params.draftId!, body as CommitDraftBody)),
  createSchedule: async (plane, { principal, body }) =>
    created(await plane.createSchedule(principal, body as CreateScheduleRequest)),
  listSchedules: async (plane, { principal, query }) =>
    ok(await plane.listSchedules(principal, page(query))),
  getSchedule: async (plane, { principal, params }) =>
    ok(await plane.getSchedule(principal, params.scheduleId!)),
  deleteSchedule: async (plane, { principal, params }) =>
    ok(await plane.deleteSchedule(principal, params.scheduleId!)),
  pauseSchedule: async (plane, { principal, params, body }) =>
    ok(await plane.pauseSchedule(principal, params.scheduleId!, obj(body) as ScheduleNoteBody)),
  resumeSchedule: async (plane, { principal, params, body }) =>
    ok(await plane.resumeSchedule(principal, params.scheduleId!, obj(body) as ScheduleNoteBody)),
  triggerSchedule: async (plane, { principal, params }) =>
    ok(await plane.triggerSchedule(principal, params.scheduleId!)),
  backfillSchedule: async (plane, { principal, params, body }) =>
    ok(await plane.backfillSchedule(principal, params.scheduleId!, body as BackfillRequest)),
};

/** A draft's live feed (SSE): served by DraftFeeds (draft-feed.ts), not by a handler here. */
export const DRAFT_FEED_OPERATION = 'followDraft';

/** The SSE operations: served by the fanout's TimelineStreams, not by a handler here. */
export const TIMELINE_OPERATIONS = new Set(['followTimeline', 'followNamespace']);
