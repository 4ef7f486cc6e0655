// The whole authorisation matrix over gRPC (ARCHITECTURE §9), the twin of http/authorization.int.test.ts:
// every rpc of every API service × every role × the caller's own namespace and another one, with
// real grpc-js calls to a real server over the local engine. A role the operation table refuses
// gets PERMISSION_DENIED whatever the namespace; an allowed role reaches the operation in its own
// namespace (OK, or FAILED_PRECONDITION about the resource's state); in another namespace a
// resource of `acme` is NOT_FOUND and a list shows nothing of `acme`. Without a token, or with one
// that is forged, malformed or revoked, every rpc is UNAUTHENTICATED.
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DescMethod, DescService } from '@bufbuild/protobuf';
import type { GenFile, GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { LocalEngine } from '@aob/engine';
import { OPERATIONS, ROLES, allowed, authenticate, issueToken } from '../auth/index.js';
import type { Operation, Role } from '../auth/index.js';
import { ControlPlane } from '../control-plane.js';
import { Fanout, ListenerLiveSource } from '../fanout/index.js';
import { ApprovalDesk } from '../hitl/index.js';
import { eventually, gatedWorkflow } from '../http/test-support.js';
import {
  ApprovalDecision,
  Approvals,
  file_aob_v1_approvals,
} from '../generated/aob/v1/approvals_pb.js';
import { RunStatus, file_aob_v1_common } from '../generated/aob/v1/common_pb.js';
import { Identity, file_aob_v1_identity } from '../generated/aob/v1/identity_pb.js';
import { Patches, ReviewDecision, file_aob_v1_patches } from '../generated/aob/v1/patches_pb.js';
import { Questions, file_aob_v1_questions } from '../generated/aob/v1/questions_pb.js';
import { Runs, file_aob_v1_runs } from '../generated/aob/v1/runs_pb.js';
import { Schedules, file_aob_v1_schedules } from '../generated/aob/v1/schedules_pb.js';
import { Timelines, file_aob_v1_timelines } from '../generated/aob/v1/timelines_pb.js';
import { file_aob_v1_validator } from '../generated/aob/v1/validator_pb.js';
import { Workflows, file_aob_v1_workflows } from '../generated/aob/v1/workflows_pb.js';
import { serveApiGrpc } from './api-server.js';
import type { CallOptions } from './client.js';
import { createClient } from './client.js';
import type { RequestInit } from './definition.js';
import { methodPath } from './definition.js';
import type { GrpcServer } from './server.js';

/** Every file protoc-gen-es generated: a new one must be added here (the first test says so). */
const GENERATED: Record<string, GenFile> = {
  'approvals_pb.ts': file_aob_v1_approvals,
  'common_pb.ts': file_aob_v1_common,
  'identity_pb.ts': file_aob_v1_identity,
  'patches_pb.ts': file_aob_v1_patches,
  'questions_pb.ts': file_aob_v1_questions,
  'runs_pb.ts': file_aob_v1_runs,
  'schedules_pb.ts': file_aob_v1_schedules,
  'timelines_pb.ts': file_aob_v1_timelines,
  'validator_pb.ts': file_aob_v1_validator,
  'workflows_pb.ts': file_aob_v1_workflows,
};
/** Not the API: the orchestrators' stateless patch judge (services/validator), never on serveApiGrpc. */
const NOT_API = new Set(['aob.v1.Validator']);
/** Operations REST serves and gRPC does not: token management, and the canvas's node inspection. */
const REST_ONLY = new Set<Operation>([
  'getNamespaceBudget',
  'setNamespaceBudget',
  'clearNamespaceBudget',
  'raiseRunBudget',
  'createToken',
  'listTokens',
  'revokeToken',
  'getRunNode',
  'getRunContent',
  // Runners outside the cluster speak REST (the runner queue's routes).
  'claimRunnerJob',
  'heartbeatRunnerLease',
  'putRunnerContent',
  'reportRunnerResult',
  'reportRunnerDeltas',
  'releaseRunnerLease',
  // Drafts (the canvas's editor and MCP) are REST and the control plane only.
  'openDraft',
  'listDrafts',
  'getDraft',
  'deleteDraft',
  'changeDraft',
  'draftChanges',
  'undoDraft',
  'focusDraft',
  'commitDraft',
  'followDraft',
]);

/** The API's services, from the generated descriptors: a new rpc without a matrix entry fails. */
const API_SERVICES: DescService[] = Object.values(GENERATED)
  .flatMap((f) => f.services)
  .filter((s) => !NOT_API.has(s.typeName));

interface Case {
  op: Operation;
  method: DescMethod;
  /** The request, given the acme fixtures (read when the call is made). */
  request: () => unknown;
}

function rpc<M extends GenServiceMethods, K extends keyof M & string>(
  service: GenService<M>,
  name: K,
  op: Operation,
  request: () => RequestInit<M[K]>,
): Case {
  return { op, method: service.method[name] as DescMethod, request };
}

const ids: Record<string, string> = {};
/** Schedules of acme for Delete, one per call (a deleted one is NOT_FOUND to the next caller). */
const spareSchedules: string[] = [];
const json = (v: unknown) => JSON.stringify(v);
const replaceB = json([{ op: 'replace', path: '/nodes/2/with/value', value: 3 }]);

/** How each rpc is called; Timelines.Follow serves two operations (a run's feed, the namespace's). */
const MATRIX: Case[] = [
  rpc(Identity, 'whoAmI', 'whoami', () => ({})),
  rpc(Workflows, 'validate', 'validateWorkflow', () => ({
    definitionJson: json(gatedWorkflow('m-valid')),
  })),
  rpc(Workflows, 'register', 'registerWorkflow', () => ({
    definitionJson: json(gatedWorkflow('m-reg')),
  })),
  rpc(Workflows, 'list', 'listWorkflows', () => ({})),
  rpc(Workflows, 'show', 'showWorkflow', () => ({ ref: 'm-base' })),
  rpc(Runs, 'start', 'startRun', () => ({
    source: { case: 'workflow' as const, value: 'm-base' },
  })),
  rpc(Runs, 'list', 'listRuns', () => ({})),
  rpc(Runs, 'get', 'getRun', () => ({ runId: ids.run! })),
  rpc(Runs, 'events', 'runEvents', () => ({ runId: ids.run! })),
  rpc(Runs, 'wait', 'waitRun', () => ({ runId: ids.run!, timeoutMs: 0 })),
  rpc(Runs, 'cancel', 'cancelRun', () => ({ runId: ids.cancel! })),
  rpc(Runs, 'replay', 'replayRun', () => ({ runId: ids.run!, fromNode: 'gate' })),
  rpc(Timelines, 'follow', 'followTimeline', () => ({ runId: ids.done! })),
  rpc(Timelines, 'follow', 'followNamespace', () => ({})),
  rpc(Approvals, 'list', 'listApprovals', () => ({ all: true })),
  rpc(Approvals, 'decide', 'decideApproval', () => ({
    ticketId: ids.ticket!,
    decision: ApprovalDecision.APPROVED,
  })),
  rpc(Approvals, 'reassign', 'reassignApproval', () => ({
    ticketId: ids.ticket2!,
    approvers: ['role:approver'],
  })),
  rpc(Questions, 'list', 'listQuestions', () => ({ all: true })),
  rpc(Questions, 'get', 'getQuestion', () => ({ questionId: ids.question! })),
  rpc(Questions, 'answer', 'answerQuestion', () => ({
    questionId: ids.question!,
    answerJson: json('yes'),
  })),
  rpc(Patches, 'propose', 'proposePatch', () => ({
    target: ids.run!,
    body: { case: 'opsJson' as const, value: replaceB },
  })),
  rpc(Patches, 'check', 'checkPatch', () => ({
    target: ids.run!,
    body: { case: 'opsJson' as const, value: replaceB },
  })),
  rpc(Patches, 'list', 'listPatches', () => ({})),
  rpc(Patches, 'get', 'getPatch', () => ({ patchId: ids.patch! })),
  rpc(Patches, 'review', 'reviewPatch', () => ({
    patchId: ids.held!,
    decision: ReviewDecision.REJECTED,
  })),
  rpc(Patches, 'revert', 'revertPatch', () => ({ patchId: ids.patch! })),
  rpc(Schedules, 'create', 'createSchedule', () => ({ workflow: 'm-base', every: '1h' })),
  rpc(Schedules, 'list', 'listSchedules', () => ({})),
  rpc(Schedules, 'get', 'getSchedule', () => ({ scheduleId: ids.schedule! })),
  rpc(Schedules, 'delete', 'deleteSchedule', () => ({ scheduleId: spareSchedules.shift() ?? '' })),
  rpc(Schedules, 'pause', 'pauseSchedule', () => ({ scheduleId: ids.schedule!, note: 'matrix' })),
  rpc(Schedules, 'resume', 'resumeSchedule', () => ({ scheduleId: ids.schedule! })),
  rpc(Schedules, 'trigger', 'triggerSchedule', () => ({ scheduleId: ids.schedule! })),
  // The same past hours each time: the first call starts their runs, the others find them.
  rpc(Schedules, 'backfill', 'backfillSchedule', () => ({
    scheduleId: ids.schedule!,
    from: '2025-01-01T00:00:00Z',
    to: '2025-01-01T02:00:00Z',
  })),
];

/** Operations on a resource of `acme` (another namespace must get NOT_FOUND); the rest are collections. */
const ACME_RESOURCE = new Set<Operation>([
  'getRun',
  'runEvents',
  'waitRun',
  'followTimeline',
  'cancelRun',
  'replayRun',
  'decideApproval',
  'reassignApproval',
  'getQuestion',
  'answerQuestion',
  'proposePatch',
  'checkPatch',
  'getPatch',
  'reviewPatch',
  'revertPatch',
  'getSchedule',
  'deleteSchedule',
  'pauseSchedule',
  'resumeSchedule',
  'triggerSchedule',
  'backfillSchedule',
]);
/** Feeds whose items must not include anything of `acme` when called from another namespace. */
const LISTS = new Set<Operation>([
  'listRuns',
  'listApprovals',
  'listQuestions',
  'listPatches',
  'listSchedules',
  'followNamespace',
]);
/** What an allowed caller may meet in its own namespace besides OK: the resource's state. */
const STATE = new Set<status>([status.FAILED_PRECONDITION]);
/** How long a Follow is read for its first item before the (still open) stream is cancelled. */
const QUIET_MS = 300;

let engine: LocalEngine;
let fanout: Fanout;
let server: GrpcServer;
type Call = (request: unknown, options?: CallOptions) => unknown;
const clients = new Map<string, Record<string, Call> & { close(): void }>();
const tokens = new Map<string, string>();

async function token(role: Role, namespace: string, subject = `${role}-${namespace}`) {
  const key = `${subject}/${role}@${namespace}`;
  let t = tokens.get(key);
  if (t === undefined) {
    ({ token: t } = await issueToken(
      engine.store,
      { subject, role, namespace, groups: [] },
      'test',
    ));
    tokens.set(key, t);
  }
  return t;
}
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

interface Outcome {
  code: status;
  details: string;
  /** The list's items, or the first items of a stream. */
  items: unknown[];
}

/** One call; a server stream is read up to its first item (or QUIET_MS of silence), then cancelled. */
async function call(c: Case, metadata: Record<string, string>): Promise<Outcome> {
  const fn = clients.get(c.method.parent.typeName)![c.method.localName]!;
  try {
    if (c.method.methodKind === 'unary') {
      const res = (await fn(c.request(), { metadata, timeoutMs: 10_000 })) as { items?: unknown[] };
      return { code: status.OK, details: '', items: res.items ?? [] };
    }
    const controller = new AbortController();
    const stream = (
      fn(c.request(), { metadata, signal: controller.signal }) as AsyncIterable<unknown>
    )[Symbol.asyncIterator]();
    let timer: NodeJS.Timeout | undefined;
    const quiet = new Promise<'quiet'>((r) => (timer = setTimeout(() => r('quiet'), QUIET_MS)));
    const pending = stream.next();
    const first = await Promise.race([pending, quiet]).finally(() => clearTimeout(timer));
    if (first === 'quiet') {
      controller.abort();
      await pending.catch(() => undefined);
      return { code: status.OK, details: 'open, quiet', items: [] };
    }
    await stream.return?.(undefined);
    return { code: status.OK, details: '', items: first.done ? [] : [first.value] };
  } catch (err) {
    const e = err as ServiceError;
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, details: e.details, items: [] };
  }
}

const show = (v: unknown) =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
const cellName = (c: Case, role: string, ns: string) =>
  `${methodPath(c.method)} (${c.op}) as ${role} (${ns} namespace)`;

beforeAll(async () => {
  engine = await LocalEngine.open({ store: 'memory' });
  const plane = new ControlPlane({
    control: engine.control,
    store: engine.store,
    approvals: new ApprovalDesk({ control: engine.control }),
  });
  fanout = new Fanout({
    store: engine.store,
    source: new ListenerLiveSource((listener) => engine.onEvent(listener)),
  });
  await fanout.start();
  server = await serveApiGrpc({
    control: plane,
    authenticate: (header) => authenticate(engine.store, header),
    timelines: fanout,
    host: '127.0.0.1',
    port: 0,
  });
  for (const s of API_SERVICES) {
    clients.set(
      s.typeName,
      createClient(s as GenService<GenServiceMethods>, `127.0.0.1:${server.port}`) as never,
    );
  }

  // The fixtures of `acme`, made through the API itself.
  const runs = createClient(Runs, `127.0.0.1:${server.port}`);
  const workflows = createClient(Workflows, `127.0.0.1:${server.port}`);
  const approvals = createClient(Approvals, `127.0.0.1:${server.port}`);
  const patches = createClient(Patches, `127.0.0.1:${server.port}`);
  const questions = createClient(Questions, `127.0.0.1:${server.port}`);
  const schedules = createClient(Schedules, `127.0.0.1:${server.port}`);
  try {
    const operator = { metadata: bearer(await token('operator', 'acme')) };
    await workflows.register({ definitionJson: json(gatedWorkflow('m-base')) }, operator);
    const start = async () =>
      (await runs.start({ source: { case: 'workflow', value: 'm-base' } }, operator)).runId;
    const settle = async (runId: string) =>
      (await runs.wait({ runId, untilSettled: true, timeoutMs: 5_000 }, operator)).run!;
    ids.run = await start();
    ids.cancel = await start();
    ids.done = await start();
    const gated = await start();
    const gated2 = await start();
    ids.ticket = (await settle(gated)).waitingOn[0]!;
    ids.ticket2 = (await settle(gated2)).waitingOn[0]!;
    await settle(ids.run);
    await settle(ids.cancel);
    const doneTicket = (await settle(ids.done)).waitingOn[0]!;
    await approvals.decide(
      { ticketId: doneTicket, decision: ApprovalDecision.REJECTED },
      { metadata: bearer(await token('approver', 'acme', 'fixture-approver')) },
    );
    await eventually(async () =>
      (await settle(ids.done!)).status === RunStatus.COMPLETED ? true : undefined,
    );
    ids.patch = (
      await patches.propose(
        {
          target: ids.run,
          body: {
            case: 'opsJson',
            value: json([{ op: 'replace', path: '/nodes/2/with/value', value: 2 }]),
          },
        },
        operator,
      )
    ).patch!.patchId;
    ids.held = (
      await patches.propose(
        {
          target: ids.run,
          body: {
            case: 'opsJson',
            value: json([
              {
                op: 'add',
                path: '/nodes/-',
                value: {
                  id: 'c',
                  type: 'code',
                  with: { language: 'javascript', source: 'return 1' },
                },
              },
            ]),
          },
        },
        operator,
      )
    ).patch!.patchId;
    // A question for any approver of acme: the first allowed role answers it, the next finds it
    // closed (FAILED_PRECONDITION), another namespace does not find it.
    const asking = {
      name: 'm-ask',
      version: '1',
      nodes: [{ id: 'ask', type: 'ask', with: { question: 'Go on?', choices: ['yes', 'no'] } }],
      edges: [],
    };
    await workflows.register({ definitionJson: json(asking) }, operator);
    const askRun = (await runs.start({ source: { case: 'workflow', value: 'm-ask' } }, operator))
      .runId;
    await settle(askRun);
    ids.question = (await questions.list({ runId: askRun }, operator)).items[0]!.questionId;
    const hourly = async () =>
      (await schedules.create({ workflow: 'm-base', every: '1h' }, operator)).schedule!.scheduleId;
    ids.schedule = await hourly();
    // Delete is called once per cell and once per credential of the last test.
    for (let i = 0; i < ROLES.length * 2 + 4; i++) spareSchedules.push(await hourly());
  } finally {
    for (const c of [runs, workflows, approvals, patches, questions, schedules]) c.close();
  }
  expect(Object.keys(ids).sort()).toEqual(
    ['cancel', 'done', 'held', 'patch', 'question', 'run', 'schedule', 'ticket', 'ticket2'].sort(),
  );
  expect(Object.values(ids).every((v) => typeof v === 'string' && v !== '')).toBe(true);
}, 60_000);

afterAll(async () => {
  for (const c of clients.values()) c.close();
  await server?.stop(100);
  await fanout?.stop();
  await engine?.close();
});

describe('gRPC authorisation matrix', () => {
  it("covers every rpc of the API's services, and every operation of the table but REST's own", () => {
    expect(readdirSync(new URL('../generated/aob/v1/', import.meta.url)).sort()).toEqual(
      Object.keys(GENERATED).sort(),
    );
    expect(API_SERVICES.map((s) => s.typeName).sort()).toEqual(
      [
        'Approvals',
        'Identity',
        'Patches',
        'Questions',
        'Runs',
        'Schedules',
        'Timelines',
        'Workflows',
      ].map((n) => `aob.v1.${n}`),
    );
    const served = API_SERVICES.flatMap((s) => s.methods.map(methodPath)).sort();
    expect([...new Set(MATRIX.map((c) => methodPath(c.method)))].sort()).toEqual(served);
    expect(MATRIX.map((c) => c.op).sort()).toEqual(
      Object.keys(OPERATIONS)
        .filter((op) => !REST_ONLY.has(op as Operation))
        .sort(),
    );
  });

  const cells = MATRIX.flatMap((c) =>
    ROLES.flatMap((role) => (['own', 'other'] as const).map((ns) => ({ c, role, ns }))),
  );

  it(`answers all ${cells.length} cells (rpc × role × namespace) as the table says`, async () => {
    const failures: string[] = [];
    for (const { c, role, ns } of cells) {
      const got = await call(c, bearer(await token(role, ns === 'own' ? 'acme' : 'beta')));
      const where = `${cellName(c, role, ns)} → ${status[got.code]} ${got.details.slice(0, 160)}`;
      if (!allowed(role, c.op)) {
        if (got.code !== status.PERMISSION_DENIED)
          failures.push(`${where}: expected PERMISSION_DENIED`);
        continue;
      }
      if (ns === 'own') {
        // Every fixture exists and every request is well formed: the call reached the operation.
        if (got.code !== status.OK && !STATE.has(got.code)) {
          failures.push(`${where}: an allowed role in its own namespace must reach the operation`);
        }
      } else if (ACME_RESOURCE.has(c.op)) {
        if (got.code !== status.NOT_FOUND) {
          failures.push(`${where}: another namespace must not reach acme's resource`);
        }
      } else if (got.code !== status.OK) {
        failures.push(`${where}: an allowed role must reach a collection of its own namespace`);
      } else if (LISTS.has(c.op)) {
        // The views carry the caller's namespace, so look for acme's ids, not only its name.
        const acmeRuns = (await engine.store.listRuns({ namespace: 'acme' })).map((r) => r.runId);
        const text = show(got.items);
        const leaked = [...acmeRuns, ...Object.values(ids)].filter((id) => text.includes(id));
        if (text.includes('"acme"') || leaked.length > 0) {
          failures.push(`${where}: another namespace's list shows acme (${leaked.join(', ')})`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("a namespace feed carries the namespace's live events and nothing of another's", async () => {
    const follow = (t: string) => {
      const controller = new AbortController();
      const items: unknown[] = [];
      const timelines = clients.get(Timelines.typeName)!;
      const done = (async () => {
        const feed = timelines.follow!(
          {},
          { metadata: bearer(t), signal: controller.signal },
        ) as AsyncIterable<unknown>;
        for await (const item of feed) items.push(item);
      })().catch((err: ServiceError) => {
        if (err.code !== status.CANCELLED) throw err;
      });
      return { items, stop: () => (controller.abort(), done) };
    };
    const acme = follow(await token('viewer', 'acme'));
    const beta = follow(await token('admin', 'beta'));
    // Both subscriptions are live before anything happens.
    await new Promise((r) => setTimeout(r, QUIET_MS));
    const runs = createClient(Runs, `127.0.0.1:${server.port}`);
    try {
      const { runId } = await runs.start(
        { source: { case: 'workflow', value: 'm-base' } },
        { metadata: bearer(await token('operator', 'acme')) },
      );
      await runs.wait(
        { runId, untilSettled: true, timeoutMs: 5_000 },
        { metadata: bearer(await token('operator', 'acme')) },
      );
      await eventually(async () =>
        show(acme.items).includes('RunWaiting') || show(acme.items).includes('ApprovalRequested')
          ? true
          : undefined,
      );
      expect(show(acme.items)).toContain(runId);
      await new Promise((r) => setTimeout(r, QUIET_MS));
      expect(show(beta.items)).not.toContain(runId);
      expect(show(beta.items)).not.toContain('"acme"');
    } finally {
      runs.close();
      await acme.stop();
      await beta.stop();
    }
  });

  it(`refuses all ${MATRIX.length * 4} calls without a valid token (rpc × no, forged, malformed, revoked) as UNAUTHENTICATED`, async () => {
    const revoked = await issueToken(
      engine.store,
      { subject: 'gone', role: 'admin', namespace: 'acme', groups: [] },
      'test',
    );
    await engine.store.revokeToken(revoked.view.tokenId, Date.now());
    expect(await authenticate(engine.store, `Bearer ${revoked.token}`)).toBeUndefined();
    const forged = `aob_${Buffer.alloc(32, 7).toString('base64url')}`;
    const credentials: Record<string, Record<string, string>> = {
      'no metadata': {},
      forged: bearer(forged),
      malformed: { authorization: 'Basic YWRtaW46YWRtaW4=' },
      revoked: bearer(revoked.token),
    };
    const failures: string[] = [];
    for (const c of MATRIX) {
      for (const [what, metadata] of Object.entries(credentials)) {
        const got = await call(c, metadata);
        if (got.code !== status.UNAUTHENTICATED) {
          failures.push(
            `${cellName(c, what, 'any')} → ${status[got.code]}: expected UNAUTHENTICATED`,
          );
        }
      }
    }
    expect(failures).toEqual([]);
  }, 60_000);
});
