// The gRPC API (proto/aob/v1) over the control plane: Runs, Patches, Approvals, Questions,
// Workflows, Schedules, Identity and — given the fanout hub — Timelines. Every call authenticates
// from its `authorization: Bearer <token>` metadata and hands the principal to the same
// ControlPlane method the REST route calls, so both surfaces authorise alike; failures become
// statuses by the aob error code (errors.ts), with every problem of a bad request in the trailers.
import { AobError, ValidationError } from '@aob/core';
import type { CreateScheduleRequest, ScheduleOverlap } from '@aob/client';
import type { GraphDiff, PatchView, RunView, ScheduleView, WorkflowView } from '@aob/engine';
import type { Operation, Principal } from '../auth/index.js';
import type { ControlPlane, PatchBody } from '../control-plane.js';
// The control plane's approvals port answers `unknown`; behind it is the approval desk, whose
// tickets these are.
import type { TicketView } from '../hitl/desk.js';
import { ApprovalDecision, Approvals } from '../generated/aob/v1/approvals_pb.js';
import { Identity } from '../generated/aob/v1/identity_pb.js';
import { PatchStatus, Patches, ReviewDecision } from '../generated/aob/v1/patches_pb.js';
import { Questions } from '../generated/aob/v1/questions_pb.js';
import { ReplayMode, Runs } from '../generated/aob/v1/runs_pb.js';
import type { CreateScheduleRequest as CreateScheduleMessage } from '../generated/aob/v1/schedules_pb.js';
import { Schedules } from '../generated/aob/v1/schedules_pb.js';
import { Timelines } from '../generated/aob/v1/timelines_pb.js';
import { Workflows } from '../generated/aob/v1/workflows_pb.js';
import {
  approvalMessage,
  fromEnum,
  graphDiffMessage,
  patchMessage,
  principalMessage,
  problemMessages,
  questionMessage,
  runEventMessage,
  runListItemMessage,
  runStatusName,
  runViewMessage,
  safeNumber,
  scheduledRunMessage,
  scheduleMessage,
  toEnum,
  workflowMessage,
} from './api-views.js';
import { aobErrorMapper } from './errors.js';
import { parseJsonField } from './json-fields.js';
import type { CallContext, GrpcServer, Registration } from './server.js';
import { register, serveGrpc } from './server.js';
import type { TimelineSubscriber } from './timelines.js';
import { follow } from './timelines.js';

export interface ApiServicesOptions {
  control: ControlPlane;
  /** The principal of an `authorization` value (`Bearer aob_…`); undefined when unknown. */
  authenticate: (authorization: string | undefined) => Promise<Principal | undefined>;
  /** The fanout hub; without it Timelines is not served. */
  timelines?: TimelineSubscriber;
  /** Items a slow Follow client may have pending (see timelines.ts). */
  maxPendingItems?: number;
}

/** The caller, from the call's `authorization` metadata: UNAUTHENTICATED when there is none. */
async function principalOf(
  authenticate: ApiServicesOptions['authenticate'],
  ctx: CallContext,
): Promise<Principal> {
  const values = ctx.metadata.get('authorization');
  const header = typeof values[0] === 'string' ? values[0] : undefined;
  const principal = header === undefined ? undefined : await authenticate(header);
  if (!principal) {
    throw new AobError(
      'UNAUTHENTICATED',
      header === undefined
        ? 'no authorization metadata: send "authorization: Bearer <token>"'
        : 'the bearer token is unknown, revoked, expired or malformed',
    );
  }
  return principal;
}

/** A JSON array from an `ops_json` field. */
function opsOf(text: string): unknown[] {
  const ops = parseJsonField('ops_json', text);
  if (!Array.isArray(ops)) {
    throw new ValidationError(
      [
        {
          code: 'SCHEMA',
          path: '/ops_json',
          message: 'must be a JSON array of RFC 6902 operations',
        },
      ],
      'request',
    );
  }
  return ops;
}

function patchBody(
  target: string,
  body:
    | { case: 'opsJson'; value: string }
    | { case: 'patchJson'; value: string }
    | { case: undefined; value?: undefined },
  rationale?: string,
): PatchBody {
  if (body.case === undefined) {
    throw new ValidationError(
      [
        {
          code: 'ONE_OF',
          path: '/body',
          message: 'give ops_json (the operations) or patch_json (a whole patch document)',
        },
      ],
      'request',
    );
  }
  return {
    target,
    ...(body.case === 'opsJson'
      ? { ops: opsOf(body.value) }
      : { patch: parseJsonField('patch_json', body.value) }),
    ...(rationale !== undefined ? { rationale } : {}),
  };
}

const decisionOf = (value: number, path: string) =>
  fromEnum(ApprovalDecision, value, path) as 'approved' | 'rejected';
const reviewOf = (value: number, path: string) =>
  fromEnum(ReviewDecision, value, path) as 'approved' | 'rejected';
const page = (req: { cursor?: string; limit?: number }) => ({
  ...(req.cursor !== undefined ? { cursor: req.cursor } : {}),
  ...(req.limit !== undefined ? { limit: req.limit } : {}),
});
const next = (nextCursor: string | undefined) => (nextCursor !== undefined ? { nextCursor } : {});
const withDiff = (found: { patch: PatchView; diff?: GraphDiff }) => ({
  patch: patchMessage(found.patch),
  ...(found.diff ? { diff: graphDiffMessage(found.diff) } : {}),
});
const schedule = (v: ScheduleView) => ({ schedule: scheduleMessage(v) });
const note = (req: { note?: string }) => (req.note !== undefined ? { note: req.note } : {});

/**
 * The REST body of `POST /v1/schedules` from its message: fields left out stay out (the control
 * plane's defaults and its one check of the whole request, which names every problem).
 */
function createScheduleBody(req: CreateScheduleMessage): CreateScheduleRequest {
  const given = <K extends string, V>(key: K, value: V | undefined) =>
    (value !== undefined ? { [key]: value } : {}) as { [P in K]?: V };
  return {
    workflow: req.workflow,
    ...(req.inputsJson !== undefined
      ? { inputs: parseJsonField('inputs_json', req.inputsJson) }
      : {}),
    ...given('cron', req.cron),
    ...given('timezone', req.timezone),
    ...given('every', req.every),
    ...(req.at.length > 0 ? { at: [...req.at] } : {}),
    ...given('jitter', req.jitter),
    ...given('start', req.start),
    ...given('end', req.end),
    ...given('overlap', req.overlap as ScheduleOverlap | undefined),
    ...given('catchupWindow', req.catchupWindow),
    ...given('paused', req.paused),
    ...given('note', req.note),
  };
}

const run = (v: RunView, p: Principal) => ({ run: runViewMessage(v, p.namespace) });
const workflow = (v: WorkflowView) => ({ workflow: workflowMessage(v) });

/** The API's services, for serveGrpc (alone or beside other services). */
export function apiServices(opts: ApiServicesOptions): Registration[] {
  const cp = opts.control;
  // Who is calling, and may their role call `op`? Checked before a request's fields are decoded,
  // so a role that may not call an rpc learns nothing from it (the REST order: 401, 403, 400).
  const who = async (ctx: CallContext, op?: Operation) => {
    const p = await principalOf(opts.authenticate, ctx);
    if (op) cp.authorize(p, op);
    return p;
  };
  const services: Registration[] = [
    register(
      Identity,
      {
        whoAmI: async (_req, ctx) => ({
          principal: principalMessage(cp.whoami(await who(ctx, 'whoami'))),
        }),
      },
      aobErrorMapper,
    ),
    register(
      Runs,
      {
        start: async (req, ctx) => {
          const p = await who(ctx, 'startRun');
          return cp.startRun(p, {
            ...(req.source.case === 'workflow' ? { workflow: req.source.value } : {}),
            ...(req.source.case === 'definitionJson'
              ? { definition: parseJsonField('definition_json', req.source.value) }
              : {}),
            ...(req.inputsJson !== undefined
              ? { inputs: parseJsonField('inputs_json', req.inputsJson) }
              : {}),
            ...(req.runId !== undefined ? { runId: req.runId } : {}),
            ...(req.budgetJson !== undefined
              ? { budget: parseJsonField('budget_json', req.budgetJson) }
              : {}),
          });
        },
        get: async (req, ctx) => {
          const p = await who(ctx, 'getRun');
          return run(await cp.getRun(p, req.runId), p);
        },
        list: async (req, ctx) => {
          const p = await who(ctx, 'listRuns');
          const status = req.status.map((s, i) => runStatusName(s, `/status/${i}`));
          const got = await cp.listRuns(p, {
            ...page(req),
            ...(status.length > 0 ? { status } : {}),
          });
          return {
            items: got.items.map((r) => runListItemMessage(r, p.namespace)),
            ...next(got.nextCursor),
          };
        },
        events: async (req, ctx) => {
          const p = await who(ctx, 'runEvents');
          const got = await cp.runEvents(p, req.runId, {
            ...(req.fromSeq !== undefined ? { fromSeq: safeNumber(req.fromSeq, '/from_seq') } : {}),
            ...(req.limit !== undefined ? { limit: req.limit } : {}),
          });
          return { events: got.items.map(runEventMessage), ...next(got.nextCursor) };
        },
        wait: async (req, ctx) => {
          const p = await who(ctx, 'waitRun');
          const view = await cp.waitRun(p, req.runId, {
            ...(req.timeoutMs !== undefined ? { timeoutMs: req.timeoutMs } : {}),
            ...(req.untilSettled !== undefined ? { untilSettled: req.untilSettled } : {}),
          });
          return run(view, p);
        },
        cancel: async (req, ctx) => {
          const p = await who(ctx, 'cancelRun');
          return run(await cp.cancelRun(p, req.runId, req.reason), p);
        },
        replay: async (req, ctx) => {
          const p = await who(ctx, 'replayRun');
          return cp.replayRun(p, req.runId, {
            fromNode: req.fromNode,
            ...(req.mode !== ReplayMode.UNSPECIFIED
              ? { mode: fromEnum(ReplayMode, req.mode, '/mode') as 'freeze' | 'live' }
              : {}),
          });
        },
      },
      aobErrorMapper,
    ),
    register(
      Workflows,
      {
        validate: async (req, ctx) => {
          const p = await who(ctx, 'validateWorkflow');
          const { valid, errors } = cp.validateWorkflow(
            p,
            parseJsonField('definition_json', req.definitionJson),
          );
          return { valid, errors: problemMessages(errors) };
        },
        register: async (req, ctx) => {
          const p = await who(ctx, 'registerWorkflow');
          return workflow(
            await cp.registerWorkflow(p, parseJsonField('definition_json', req.definitionJson)),
          );
        },
        list: async (req, ctx) => {
          const got = await cp.listWorkflows(await who(ctx, 'listWorkflows'), page(req));
          return { items: got.items.map(workflowMessage), ...next(got.nextCursor) };
        },
        show: async (req, ctx) => {
          const shown = await cp.showWorkflow(await who(ctx, 'showWorkflow'), req.ref, req.patches);
          return { definitionJson: JSON.stringify(shown.definition), irHash: shown.irHash };
        },
      },
      aobErrorMapper,
    ),
    register(
      Patches,
      {
        propose: async (req, ctx) => {
          const p = await who(ctx, 'proposePatch');
          return {
            patch: patchMessage(
              await cp.proposePatch(p, patchBody(req.target, req.body, req.rationale)),
            ),
          };
        },
        check: async (req, ctx) => {
          const p = await who(ctx, 'checkPatch');
          const verdict = await cp.checkPatch(p, patchBody(req.target, req.body));
          return {
            status: toEnum(PatchStatus, verdict.status),
            violations: problemMessages(verdict.violations),
            reasons: problemMessages(verdict.reasons),
          };
        },
        list: async (req, ctx) => {
          const p = await who(ctx, 'listPatches');
          const got = await cp.listPatches(p, {
            ...page(req),
            ...(req.runId !== undefined ? { runId: req.runId } : {}),
            ...(req.workflow !== undefined ? { workflow: req.workflow } : {}),
            ...(req.status !== undefined
              ? { status: fromEnum(PatchStatus, req.status, '/status') }
              : {}),
          });
          return { items: got.items.map(patchMessage), ...next(got.nextCursor) };
        },
        get: async (req, ctx) =>
          withDiff(await cp.getPatch(await who(ctx, 'getPatch'), req.patchId)),
        review: async (req, ctx) => {
          const p = await who(ctx, 'reviewPatch');
          const view = await cp.reviewPatch(p, req.patchId, {
            decision: reviewOf(req.decision, '/decision'),
            ...(req.reason !== undefined ? { reason: req.reason } : {}),
          });
          return { patch: patchMessage(view) };
        },
        revert: async (req, ctx) => {
          const got = await cp.revertPatch(await who(ctx, 'revertPatch'), req.patchId);
          return {
            patch: patchMessage(got.patch),
            ...(got.revert ? { revert: patchMessage(got.revert) } : {}),
          };
        },
      },
      aobErrorMapper,
    ),
    register(
      Approvals,
      {
        list: async (req, ctx) => {
          const got = await cp.listApprovals(await who(ctx, 'listApprovals'), {
            ...page(req),
            status: req.all ? 'all' : 'open',
          });
          return {
            items: got.items.map((t) => approvalMessage(t as TicketView)),
            ...next(got.nextCursor),
          };
        },
        decide: async (req, ctx) => {
          const ticket = await cp.decideApproval(await who(ctx, 'decideApproval'), req.ticketId, {
            decision: decisionOf(req.decision, '/decision'),
            ...(req.reason !== undefined ? { reason: req.reason } : {}),
          });
          return { approval: approvalMessage(ticket as TicketView) };
        },
        reassign: async (req, ctx) => {
          const ticket = await cp.reassignApproval(
            await who(ctx, 'reassignApproval'),
            req.ticketId,
            {
              approvers: req.approvers,
              ...(req.reason !== undefined ? { reason: req.reason } : {}),
            },
          );
          return { approval: approvalMessage(ticket as TicketView) };
        },
      },
      aobErrorMapper,
    ),
    register(
      Questions,
      {
        list: async (req, ctx) => {
          const got = await cp.listQuestions(await who(ctx, 'listQuestions'), {
            ...page(req),
            status: req.all ? 'all' : 'open',
            ...(req.runId !== undefined ? { runId: req.runId } : {}),
            ...(req.mine ? { mine: true } : {}),
          });
          return { items: got.items.map(questionMessage), ...next(got.nextCursor) };
        },
        get: async (req, ctx) => ({
          question: questionMessage(
            await cp.getQuestion(await who(ctx, 'getQuestion'), req.questionId),
          ),
        }),
        answer: async (req, ctx) => {
          const p = await who(ctx, 'answerQuestion');
          const answer = parseJsonField('answer_json', req.answerJson);
          return {
            question: questionMessage(await cp.answerQuestion(p, req.questionId, { answer })),
          };
        },
      },
      aobErrorMapper,
    ),
    register(
      Schedules,
      {
        create: async (req, ctx) => {
          const p = await who(ctx, 'createSchedule');
          return schedule(await cp.createSchedule(p, createScheduleBody(req)));
        },
        list: async (req, ctx) => {
          const got = await cp.listSchedules(await who(ctx, 'listSchedules'), page(req));
          return { items: got.items.map(scheduleMessage), ...next(got.nextCursor) };
        },
        get: async (req, ctx) =>
          schedule(await cp.getSchedule(await who(ctx, 'getSchedule'), req.scheduleId)),
        delete: async (req, ctx) =>
          schedule(await cp.deleteSchedule(await who(ctx, 'deleteSchedule'), req.scheduleId)),
        pause: async (req, ctx) =>
          schedule(
            await cp.pauseSchedule(await who(ctx, 'pauseSchedule'), req.scheduleId, note(req)),
          ),
        resume: async (req, ctx) =>
          schedule(
            await cp.resumeSchedule(await who(ctx, 'resumeSchedule'), req.scheduleId, note(req)),
          ),
        trigger: async (req, ctx) => ({
          run: scheduledRunMessage(
            await cp.triggerSchedule(await who(ctx, 'triggerSchedule'), req.scheduleId),
          ),
        }),
        backfill: async (req, ctx) => {
          const p = await who(ctx, 'backfillSchedule');
          const got = await cp.backfillSchedule(p, req.scheduleId, { from: req.from, to: req.to });
          return { runs: got.runs.map(scheduledRunMessage) };
        },
      },
      aobErrorMapper,
    ),
  ];
  const hub = opts.timelines;
  if (hub) {
    services.push(
      register(
        Timelines,
        {
          follow: async function* (req, ctx) {
            yield* follow(hub, await who(ctx), req, ctx, opts.maxPendingItems);
          },
        },
        aobErrorMapper,
      ),
    );
  }
  return services;
}

/** Serves the API's services on `port` (AOB_GRPC_PORT; 0 picks a free one). */
export function serveApiGrpc(
  opts: ApiServicesOptions & { port: number; host?: string },
): Promise<GrpcServer> {
  return serveGrpc(apiServices(opts), {
    port: opts.port,
    ...(opts.host ? { host: opts.host } : {}),
  });
}
