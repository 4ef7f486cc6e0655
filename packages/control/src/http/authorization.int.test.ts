// The whole authorisation matrix (ARCHITECTURE §9): every operation of openapi.json × every role × the
// caller's own namespace and another one, over real HTTP. A role the operation table refuses gets
// 403 whatever the namespace; an allowed role reaches the operation in its own namespace (2xx, or
// a 4xx about the resource's state, never 401/403); in another namespace a resource of `acme` is
// 404 and a list shows nothing of `acme`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS, ROLES, allowed } from '../auth/index.js';
import type { Operation, Role } from '../auth/index.js';
import { apiRoutes } from './openapi.js';
import type { ApiHarness, Body } from './test-support.js';
import { eventually, gatedWorkflow, startApiHarness } from './test-support.js';

let api: ApiHarness;
const ids: Record<string, string> = {};
/** A node of `ids.run` and a value it holds (kept apart: ids are looked for in other lists). */
const inspect = { node: '', ref: '' };

/** How each operation is called: path and body, given the acme fixtures. */
type Request = { path: string; body?: unknown };
const REQUESTS: Record<Operation, () => Request> = {
  whoami: () => ({ path: '/v1/whoami' }),
  validateWorkflow: () => ({
    path: '/v1/workflows/validate',
    body: { definition: gatedWorkflow('m-valid') },
  }),
  registerWorkflow: () => ({ path: '/v1/workflows', body: { definition: gatedWorkflow('m-reg') } }),
  listWorkflows: () => ({ path: '/v1/workflows' }),
  showWorkflow: () => ({ path: '/v1/workflows/m-base' }),
  startRun: () => ({ path: '/v1/runs', body: { workflow: 'm-base' } }),
  listRuns: () => ({ path: '/v1/runs' }),
  getRun: () => ({ path: `/v1/runs/${ids.run}` }),
  getRunNode: () => ({ path: `/v1/runs/${ids.run}/nodes/${inspect.node}` }),
  getRunContent: () => ({ path: `/v1/runs/${ids.run}/content/${inspect.ref}` }),
  runEvents: () => ({ path: `/v1/runs/${ids.run}/events` }),
  waitRun: () => ({ path: `/v1/runs/${ids.run}/wait?timeoutMs=0` }),
  followTimeline: () => ({ path: `/v1/runs/${ids.done}/timeline` }),
  followNamespace: () => ({ path: '/v1/timeline' }),
  cancelRun: () => ({ path: `/v1/runs/${ids.cancel}/cancel`, body: {} }),
  replayRun: () => ({ path: `/v1/runs/${ids.run}/replay`, body: { fromNode: 'gate' } }),
  listApprovals: () => ({ path: '/v1/approvals' }),
  decideApproval: () => ({
    path: `/v1/approvals/${ids.ticket}/decision`,
    body: { decision: 'approved' },
  }),
  reassignApproval: () => ({
    path: `/v1/approvals/${ids.ticket2}/reassign`,
    body: { approvers: ['role:approver'] },
  }),
  listQuestions: () => ({ path: '/v1/questions' }),
  getQuestion: () => ({ path: `/v1/questions/${ids.question}` }),
  answerQuestion: () => ({
    path: `/v1/questions/${ids.question}/answer`,
    body: { answer: 'yes' },
  }),
  proposePatch: () => ({
    path: '/v1/patches',
    body: { target: ids.run, ops: [{ op: 'replace', path: '/nodes/2/with/value', value: 3 }] },
  }),
  checkPatch: () => ({
    path: '/v1/patches/check',
    body: { target: ids.run, ops: [{ op: 'replace', path: '/nodes/2/with/value', value: 3 }] },
  }),
  listPatches: () => ({ path: '/v1/patches' }),
  getPatch: () => ({ path: `/v1/patches/${ids.patch}` }),
  reviewPatch: () => ({ path: `/v1/patches/${ids.held}/review`, body: { decision: 'rejected' } }),
  revertPatch: () => ({ path: `/v1/patches/${ids.patch}/revert` }),
  createToken: () => ({ path: '/v1/tokens', body: { subject: 'made', role: 'viewer' } }),
  listTokens: () => ({ path: '/v1/tokens' }),
  revokeToken: () => ({ path: `/v1/tokens/${ids.spareToken}` }),
  getNamespaceBudget: () => ({ path: '/v1/budget' }),
  setNamespaceBudget: () => ({ path: '/v1/budget', body: { tokens: 1_000_000_000 } }),
  clearNamespaceBudget: () => ({ path: '/v1/budget' }),
  raiseRunBudget: () => ({
    path: `/v1/runs/${ids.run}/budget`,
    body: { budget: { tokens: 1_000_000 }, reason: 'the matrix' },
  }),
  // The local harness keeps no runner queue: a runner token gets 409 RUNNER_QUEUE_UNAVAILABLE
  // (runner-queue.int.test.ts in the engine serves them on PostgreSQL).
  claimRunnerJob: () => ({ path: '/v1/runner/claim', body: { labels: ['edge'] } }),
  heartbeatRunnerLease: () => ({ path: '/v1/runner/leases/lse_none/heartbeat', body: {} }),
  putRunnerContent: () => ({ path: '/v1/runner/leases/lse_none/content', body: { value: 1 } }),
  reportRunnerResult: () => ({
    path: '/v1/runner/leases/lse_none/results',
    body: { kind: 'started' },
  }),
  reportRunnerDeltas: () => ({
    path: '/v1/runner/leases/lse_none/deltas',
    body: { deltas: ['Hello'] },
  }),
  releaseRunnerLease: () => ({ path: '/v1/runner/leases/lse_none/release', body: {} }),
  openDraft: () => ({ path: '/v1/drafts', body: { title: 'the matrix' } }),
  listDrafts: () => ({ path: '/v1/drafts' }),
  getDraft: () => ({ path: `/v1/drafts/${ids.draft}` }),
  deleteDraft: () => ({ path: `/v1/drafts/${ids.spareDraft}` }),
  changeDraft: () => ({
    path: `/v1/drafts/${ids.draft}/changes`,
    body: { ops: [{ op: 'replace', path: '/nodes/2/with/value', value: 4 }] },
  }),
  draftChanges: () => ({ path: `/v1/drafts/${ids.draft}/changes` }),
  undoDraft: () => ({ path: `/v1/drafts/${ids.draft}/undo`, body: {} }),
  focusDraft: () => ({ path: `/v1/drafts/${ids.draft}/focus`, body: { nodes: ['a'] } }),
  // A patch to acme's run: agents may propose (a version, registerWorkflow, they may not).
  commitDraft: () => ({
    path: `/v1/drafts/${ids.draft}/commit`,
    body: { as: 'patch', runId: ids.run },
  }),
  followDraft: () => ({ path: `/v1/drafts/${ids.draft}/feed` }),
  createSchedule: () => ({ path: '/v1/schedules', body: { workflow: 'm-base', every: '1h' } }),
  listSchedules: () => ({ path: '/v1/schedules' }),
  getSchedule: () => ({ path: `/v1/schedules/${ids.schedule}` }),
  deleteSchedule: () => ({ path: `/v1/schedules/${ids.spareSchedule}` }),
  pauseSchedule: () => ({ path: `/v1/schedules/${ids.schedule}/pause`, body: { note: 'matrix' } }),
  resumeSchedule: () => ({ path: `/v1/schedules/${ids.schedule}/resume`, body: {} }),
  triggerSchedule: () => ({ path: `/v1/schedules/${ids.schedule}/trigger` }),
  // The same past hours each time: the first call starts their runs, the others find them.
  backfillSchedule: () => ({
    path: `/v1/schedules/${ids.schedule}/backfill`,
    body: { from: '2025-01-01T00:00:00Z', to: '2025-01-01T02:00:00Z' },
  }),
};

/** Operations on a resource of `acme` (another namespace must get 404); the rest are collections. */
const ACME_RESOURCE = new Set<Operation>([
  'getRun',
  'getRunNode',
  'getRunContent',
  'runEvents',
  'waitRun',
  'followTimeline',
  'cancelRun',
  'raiseRunBudget',
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
  'revokeToken',
  'getDraft',
  'deleteDraft',
  'changeDraft',
  'draftChanges',
  'undoDraft',
  'focusDraft',
  'commitDraft',
  'followDraft',
  'getSchedule',
  'deleteSchedule',
  'pauseSchedule',
  'resumeSchedule',
  'triggerSchedule',
  'backfillSchedule',
]);
/** Lists whose items must not include anything of `acme` when called from another namespace. */
const LISTS = new Set<Operation>([
  'listRuns',
  'listApprovals',
  'listQuestions',
  'listPatches',
  'listTokens',
  'listDrafts',
  'listSchedules',
]);

beforeAll(async () => {
  api = await startApiHarness();
  const admin = await api.token('admin');
  const operator = await api.token('operator');
  await api.call('POST', '/v1/workflows', {
    token: operator,
    body: { definition: gatedWorkflow('m-base') },
  });
  const start = async () =>
    (await api.call('POST', '/v1/runs', { token: operator, body: { workflow: 'm-base' } })).body
      .runId as string;
  const settle = (runId: string) =>
    api.call('GET', `/v1/runs/${runId}/wait?untilSettled=true&timeoutMs=5000`, { token: operator });
  ids.run = await start();
  ids.cancel = await start();
  ids.done = await start();
  const gated = await start();
  const gated2 = await start();
  for (const r of [ids.run, ids.cancel, ids.done, gated, gated2]) await settle(r!);
  const run = await api.call('GET', `/v1/runs/${ids.run}`, { token: operator });
  inspect.node = Object.keys(run.body.nodes as object)[0]!;
  const node = await api.call('GET', `/v1/runs/${ids.run}/nodes/${inspect.node}`, {
    token: operator,
  });
  inspect.ref = node.body.inputRef as string;
  ids.ticket = (await settle(gated)).body.waitingOn[0];
  ids.ticket2 = (await settle(gated2)).body.waitingOn[0];
  const doneTicket = (await settle(ids.done!)).body.waitingOn[0];
  const approver = await api.token('approver', 'acme', { subject: 'fixture-approver' });
  await api.call('POST', `/v1/approvals/${doneTicket}/decision`, {
    token: approver,
    body: { decision: 'rejected' },
  });
  await eventually(async () =>
    (await settle(ids.done!)).body.status === 'completed' ? true : undefined,
  );
  ids.patch = (
    await api.call('POST', '/v1/patches', {
      token: operator,
      body: { target: ids.run, ops: [{ op: 'replace', path: '/nodes/2/with/value', value: 2 }] },
    })
  ).body.patchId;
  ids.held = (
    await api.call('POST', '/v1/patches', {
      token: operator,
      body: {
        target: ids.run,
        ops: [
          {
            op: 'add',
            path: '/nodes/-',
            value: { id: 'c', type: 'code', with: { language: 'javascript', source: 'return 1' } },
          },
        ],
      },
    })
  ).body.patchId;
  // A question for any approver of acme (no askees): the first allowed role answers it, the next
  // finds it closed (409), another namespace does not find it (404).
  const asking = {
    name: 'm-ask',
    version: '1',
    nodes: [{ id: 'ask', type: 'ask', with: { question: 'Go on?', choices: ['yes', 'no'] } }],
    edges: [],
  };
  await api.call('POST', '/v1/workflows', { token: operator, body: { definition: asking } });
  const askRun = (
    await api.call('POST', '/v1/runs', { token: operator, body: { workflow: 'm-ask' } })
  ).body.runId as string;
  await settle(askRun);
  ids.question = (
    await api.call('GET', `/v1/questions?run=${askRun}`, { token: operator })
  ).body.items[0].questionId;
  ids.spareToken = (
    await api.call('POST', '/v1/tokens', {
      token: admin,
      body: { subject: 'spare', role: 'viewer' },
    })
  ).body.tokenId;
  for (const key of ['draft', 'spareDraft']) {
    ids[key] = (
      await api.call('POST', '/v1/drafts', { token: operator, body: { from: 'm-base' } })
    ).body.draftId;
  }
  for (const key of ['schedule', 'spareSchedule']) {
    ids[key] = (
      await api.call('POST', '/v1/schedules', {
        token: operator,
        body: { workflow: 'm-base', every: '1h' },
      })
    ).body.scheduleId;
  }
  expect(Object.values(ids).every((v) => typeof v === 'string')).toBe(true);
}, 60_000);
afterAll(() => api.close());

describe('authorisation matrix', () => {
  const routes = apiRoutes();

  it("covers every operation of the document, whose x-aob-min-role and x-aob-job-token are the table's", () => {
    expect(routes.map((r) => r.operation.operationId).sort()).toEqual(Object.keys(REQUESTS).sort());
    for (const r of routes) {
      const op = r.operation.operationId as Operation;
      expect(r.operation['x-aob-min-role'], op).toBe(OPERATIONS[op].min);
      expect(r.operation['x-aob-job-token'], op).toBe(OPERATIONS[op].job);
    }
  });

  const cells: { op: Operation; role: Role; ns: 'own' | 'other'; method: string }[] = [];
  for (const r of routes) {
    for (const role of ROLES) {
      for (const ns of ['own', 'other'] as const) {
        cells.push({ op: r.operation.operationId as Operation, role, ns, method: r.method });
      }
    }
  }

  it(`answers all ${cells.length} cells (operation × role × namespace) as the table says`, async () => {
    const failures: string[] = [];
    for (const c of cells) {
      const token = await api.token(c.role, c.ns === 'own' ? 'acme' : 'beta');
      const req = REQUESTS[c.op]();
      const { status, body } = await request(c.method, req, token);
      const where = `${c.op} as ${c.role} (${c.ns} namespace) → ${status} ${JSON.stringify(body)?.slice(0, 200)}`;
      if (!allowed(c.role, c.op)) {
        if (status !== 403) failures.push(`${where}: expected 403`);
        continue;
      }
      if (status === 401 || status === 403 || status >= 500) {
        failures.push(`${where}: an allowed role was refused or failed`);
      } else if (c.ns === 'other' && ACME_RESOURCE.has(c.op) && status !== 404) {
        failures.push(`${where}: another namespace must not reach acme's resource`);
      } else if (c.ns === 'other' && LISTS.has(c.op)) {
        const items: unknown[] = body?.items ?? [];
        if (
          JSON.stringify(items).includes('"acme"') ||
          Object.values(ids).some((id) => JSON.stringify(items).includes(id))
        ) {
          failures.push(`${where}: another namespace's list shows acme`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});

describe('job tokens (an agent on a cluster runner: role agent, one run, an expiry)', () => {
  const routes = apiRoutes();
  /** The operations whose request (REQUESTS) is about `ids.run` or one of its patches. */
  const ABOUT_RUN = new Set<Operation>([
    'getRun',
    'getRunNode',
    'getRunContent',
    'runEvents',
    'waitRun',
    'proposePatch',
    'checkPatch',
    'getPatch',
  ]);

  it('reach their own run through the operations the table opens to them, and nothing else', async () => {
    const { token } = await api.jobToken(ids.run!, 'planner');
    const failures: string[] = [];
    for (const r of routes) {
      const op = r.operation.operationId as Operation;
      const { status, body } = await request(r.method, REQUESTS[op](), token);
      const where = `${op} → ${status} ${JSON.stringify(body)?.slice(0, 200)}`;
      if (!OPERATIONS[op].job) {
        if (status !== 403) failures.push(`${where}: expected 403`);
      } else if (status === 401 || status === 403 || status >= 500) {
        failures.push(`${where}: its own run was refused`);
      }
    }
    expect(failures).toEqual([]);
    const me = await api.call('GET', '/v1/whoami', { token });
    expect(me.body).toMatchObject({ subject: 'agent:planner', role: 'agent', runId: ids.run });
    const patches = await api.call('GET', '/v1/patches', { token });
    expect(patches.body.items.map((x: Body) => x.patchId)).toContain(ids.patch);
  });

  it('find another run of their own namespace as unknown as another namespace’s', async () => {
    const { token } = await api.jobToken(ids.cancel!, 'planner');
    const failures: string[] = [];
    for (const op of ABOUT_RUN) {
      const r = routes.find((x) => x.operation.operationId === op)!;
      const { status, body } = await request(r.method, REQUESTS[op](), token);
      if (status !== 404) failures.push(`${op} → ${status} ${JSON.stringify(body)?.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
    const listed = await api.call('GET', `/v1/patches?run=${ids.run}`, { token });
    expect(listed.status).toBe(404);
    const own = await api.call('GET', '/v1/patches', { token });
    expect(JSON.stringify(own.body.items)).not.toContain(ids.run);
    const workflow = await api.call('POST', '/v1/patches', {
      token,
      body: { target: 'm-base', ops: [{ op: 'remove', path: '/nodes/2' }] },
    });
    expect(workflow.status).toBe(403);
  });

  it('stop working once they expire', async () => {
    const grant = await api.jobToken(ids.run!, 'planner', { timeoutMs: 50 });
    expect((await api.call('GET', `/v1/runs/${ids.run}`, { token: grant.token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, Math.max(0, grant.expiresAt - Date.now()) + 10));
    const late = await api.call('GET', `/v1/runs/${ids.run}`, { token: grant.token });
    expect(late.status).toBe(401);
    expect(late.body.code).toBe('UNAUTHENTICATED');
  });
});

/** One request; a timeline or a draft's feed (SSE) is read only up to its status and headers. */
async function request(
  method: string,
  req: Request,
  token: string,
): Promise<{ status: number; body: Body }> {
  if (req.path.endsWith('/timeline') || req.path.endsWith('/feed')) {
    const controller = new AbortController();
    const res = await fetch(api.url + req.path, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    const body = res.headers.get('content-type')?.includes('json') ? await res.json() : undefined;
    controller.abort();
    return { status: res.status, body };
  }
  return api.call(method, req.path, {
    token,
    ...(req.body !== undefined ? { body: req.body } : {}),
  });
}
