// The gRPC API over a real control plane (the local engine on an in-memory store, the approval
// desk, the fanout hub) and a real grpc-js server on 127.0.0.1: authentication from metadata,
// each service's calls, and errors as statuses with the aob code and every problem in trailers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { LocalEngine } from '@aob/engine';
import { authenticate, issueToken } from '../auth/index.js';
import { ControlPlane } from '../control-plane.js';
import { Fanout, ListenerLiveSource } from '../fanout/index.js';
import { ApprovalDesk } from '../hitl/index.js';
import { ApprovalDecision, ApprovalStatus, Approvals } from '../generated/aob/v1/approvals_pb.js';
import { RunStatus } from '../generated/aob/v1/common_pb.js';
import { Identity, Role } from '../generated/aob/v1/identity_pb.js';
import { Patches, PatchStatus } from '../generated/aob/v1/patches_pb.js';
import { Runs } from '../generated/aob/v1/runs_pb.js';
import { Timelines } from '../generated/aob/v1/timelines_pb.js';
import { Workflows } from '../generated/aob/v1/workflows_pb.js';
import { serveApiGrpc } from './api-server.js';
import { createClient } from './client.js';
import type { ServiceClient } from './client.js';
import type { MethodsOf } from './definition.js';
import { errorDetailOf } from './errors.js';
import type { GrpcServer } from './server.js';
import { failure } from './test-support.js';

const gated = {
  name: 'gated',
  version: '1',
  nodes: [
    { id: 'gate', type: 'approval', with: { approvers: ['role:approver'] } },
    { id: 'b', type: 'transform', with: { value: '{% nodes.gate.output.decision %}' } },
  ],
  edges: [{ from: 'gate', to: 'b', on: 'approved' }],
  output: '{% nodes.b.output %}',
};

let engine: LocalEngine;
let fanout: Fanout;
let server: GrpcServer;
const tokens: Record<string, string> = {};
let runs: ServiceClient<MethodsOf<typeof Runs>>;
let identity: ServiceClient<MethodsOf<typeof Identity>>;
let workflows: ServiceClient<MethodsOf<typeof Workflows>>;
let patches: ServiceClient<MethodsOf<typeof Patches>>;
let approvals: ServiceClient<MethodsOf<typeof Approvals>>;
let timelines: ServiceClient<MethodsOf<typeof Timelines>>;

const as = (who: string) => ({ metadata: { authorization: `Bearer ${tokens[who]!}` } });

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
  for (const [who, role, namespace] of [
    ['viewer', 'viewer', 'acme'],
    ['operator', 'operator', 'acme'],
    ['approver', 'approver', 'acme'],
    ['agent', 'agent', 'acme'],
    ['other', 'admin', 'globex'],
  ] as const) {
    const issued = await issueToken(
      engine.store,
      { subject: who, role, namespace, groups: [] },
      'test',
    );
    tokens[who] = issued.token;
  }
  server = await serveApiGrpc({
    control: plane,
    authenticate: (header) => authenticate(engine.store, header),
    timelines: fanout,
    host: '127.0.0.1',
    port: 0,
  });
  const at = `127.0.0.1:${server.port}`;
  runs = createClient(Runs, at);
  identity = createClient(Identity, at);
  workflows = createClient(Workflows, at);
  patches = createClient(Patches, at);
  approvals = createClient(Approvals, at);
  timelines = createClient(Timelines, at);
});

afterAll(async () => {
  for (const c of [runs, identity, workflows, patches, approvals, timelines]) c?.close();
  await server?.stop(100);
  await fanout?.stop();
  await engine?.close();
});

describe('gRPC API: identity', () => {
  it('answers who the token is', async () => {
    const res = await identity.whoAmI({}, as('approver'));
    expect(res.principal).toMatchObject({
      subject: 'approver',
      role: Role.APPROVER,
      namespace: 'acme',
    });
  });

  it('no token, or an unknown one, is UNAUTHENTICATED', async () => {
    const none = await failure(identity.whoAmI({}));
    expect(none.code).toBe(status.UNAUTHENTICATED);
    expect(none.details).toContain('no authorization metadata');
    const unknown = await failure(
      identity.whoAmI({}, { metadata: { authorization: 'Bearer aob_nope' } }),
    );
    expect(unknown.code).toBe(status.UNAUTHENTICATED);
    expect(errorDetailOf(unknown)?.code).toBe('UNAUTHENTICATED');
  });
});

describe('gRPC API: workflows', () => {
  it('validates with every problem, registers, lists and shows', async () => {
    const bad = await workflows.validate(
      { definitionJson: JSON.stringify({ name: 'x', nodes: [{ id: 'a', type: 'nope' }] }) },
      as('viewer'),
    );
    expect(bad.valid).toBe(false);
    expect(bad.errors.length).toBeGreaterThan(1);

    const registered = await workflows.register(
      { definitionJson: JSON.stringify(gated) },
      as('operator'),
    );
    expect(registered.workflow).toMatchObject({ name: 'gated', version: '1' });
    const listed = await workflows.list({}, as('viewer'));
    expect(listed.items.map((w) => w.name)).toContain('gated');
    const shown = await workflows.show({ ref: 'gated@1' }, as('viewer'));
    expect(JSON.parse(shown.definitionJson)).toMatchObject({ name: 'gated' });
    expect(shown.irHash).toBe(registered.workflow!.irHash);
  });

  it('a viewer may not register: PERMISSION_DENIED naming the role needed', async () => {
    const err = await failure(
      workflows.register({ definitionJson: JSON.stringify(gated) }, as('viewer')),
    );
    expect(err.code).toBe(status.PERMISSION_DENIED);
    expect(errorDetailOf(err)).toMatchObject({ code: 'FORBIDDEN' });
    expect(err.details).toContain('operator or above');
    // The role is checked before the request is decoded (as on REST): a malformed request from a
    // role that may not call the rpc learns nothing about what is wrong with it.
    const malformed = await failure(workflows.register({ definitionJson: '{' }, as('viewer')));
    expect(malformed.code).toBe(status.PERMISSION_DENIED);
  });

  it('a definition that is not JSON is INVALID_ARGUMENT naming the field', async () => {
    const err = await failure(workflows.register({ definitionJson: '{' }, as('operator')));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(errorDetailOf(err)?.problems).toEqual([
      expect.objectContaining({ code: 'SCHEMA', path: '/definition_json' }),
    ]);
  });
});

describe('gRPC API: runs, patches, approvals, timelines', () => {
  let runId: string;

  beforeAll(async () => {
    ({ runId } = await runs.start(
      { source: { case: 'workflow', value: 'gated' } },
      as('operator'),
    ));
    // Waiting at the gate.
    for (let i = 0; ; i++) {
      const got = await runs.get({ runId }, as('viewer'));
      if (got.run?.status === RunStatus.WAITING) break;
      if (i > 100) throw new Error(`run ${runId} is not waiting at the gate`);
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it('starts, gets and lists a run of the caller namespace only', async () => {
    const got = await runs.get({ runId }, as('viewer'));
    expect(got.run).toMatchObject({ runId, status: RunStatus.WAITING, namespace: 'acme' });
    expect(got.run!.nodes.gate?.status).toBe('waiting');
    const listed = await runs.list({ status: [RunStatus.WAITING] }, as('viewer'));
    expect(listed.items.map((r) => r.runId)).toContain(runId);
    // Another namespace: the run does not exist for it.
    const other = await failure(runs.get({ runId }, as('other')));
    expect(other.code).toBe(status.NOT_FOUND);
    expect((await runs.list({}, as('other'))).items).toEqual([]);
  });

  it('a start that names no workflow is INVALID_ARGUMENT with every problem', async () => {
    const err = await failure(runs.start({}, as('operator')));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(errorDetailOf(err)).toMatchObject({
      code: 'VALIDATION',
      problems: [expect.objectContaining({ code: 'ONE_OF' })],
    });
    const badEnum = await failure(runs.list({ status: [RunStatus.UNSPECIFIED] }, as('viewer')));
    expect(badEnum.code).toBe(status.INVALID_ARGUMENT);
    expect(errorDetailOf(badEnum)?.problems[0]).toMatchObject({
      code: 'BAD_ENUM',
      path: '/status/0',
    });
  });

  it('reads the log with typed envelopes and JSON data', async () => {
    const res = await runs.events({ runId }, as('viewer'));
    const types = res.events.map((e) => e.type);
    expect(types[0]).toBe('RunStarted');
    expect(types).toContain('ApprovalRequested');
    expect(res.events.map((e) => e.seq)).toEqual(res.events.map((_, i) => BigInt(i + 1)));
    expect(res.events[0]).toMatchObject({ runId, seq: 1n, type: 'RunStarted' });
    expect(JSON.parse(res.events[0]!.dataJson)).toMatchObject({ workflow: { name: 'gated' } });
    const page = await runs.events({ runId, fromSeq: 1n, limit: 1 }, as('viewer'));
    expect(page.events).toHaveLength(1);
    expect(page.nextCursor).toBe('2');
  });

  it('rejects a cyclic patch with its violations; check says so without persisting', async () => {
    const ops = JSON.stringify([{ op: 'add', path: '/edges/-', value: { from: 'b', to: 'gate' } }]);
    const checked = await patches.check(
      { target: runId, body: { case: 'opsJson', value: ops } },
      as('viewer'),
    );
    expect(checked.status).toBe(PatchStatus.REJECTED);
    expect(checked.violations.map((v) => v.code)).toContain('CYCLE');
    expect((await patches.list({ runId }, as('viewer'))).items).toEqual([]);

    const proposed = await patches.propose(
      { target: runId, body: { case: 'opsJson', value: ops }, rationale: 'loop' },
      as('agent'),
    );
    expect(proposed.patch).toMatchObject({ status: PatchStatus.REJECTED, author: 'agent' });
    expect(proposed.patch!.violations.map((v) => v.code)).toContain('CYCLE');
    const got = await patches.get({ patchId: proposed.patch!.patchId }, as('viewer'));
    expect(JSON.parse(got.patch!.opsJson)).toEqual(JSON.parse(ops));
    const listed = await patches.list({ runId, status: PatchStatus.REJECTED }, as('viewer'));
    expect(listed.items.map((p) => p.patchId)).toEqual([proposed.patch!.patchId]);
  });

  it('ops that are not an array are INVALID_ARGUMENT at /ops_json', async () => {
    const err = await failure(
      patches.propose({ target: runId, body: { case: 'opsJson', value: '{}' } }, as('operator')),
    );
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(errorDetailOf(err)?.problems[0]).toMatchObject({ path: '/ops_json' });
  });

  it('follows the run: history, the approval, then the end', async () => {
    const open = await approvals.list({}, as('approver'));
    const ticket = open.items.find((t) => t.runId === runId)!;
    expect(ticket).toMatchObject({ status: ApprovalStatus.OPEN, eligible: true });
    expect((await approvals.list({}, as('viewer'))).items[0]?.eligible).toBe(false);

    const types: string[] = [];
    let end: unknown;
    const followed = (async () => {
      for await (const r of timelines.follow({ runId }, as('viewer'))) {
        if (r.item.case === 'event') {
          types.push(r.item.value.type);
          expect(r.id).toBe(String(r.item.value.seq));
        }
        if (r.item.case === 'end') end = r.item.value;
      }
    })();
    await expect.poll(() => types.length).toBeGreaterThan(0);

    const decided = await approvals.decide(
      { ticketId: ticket.ticketId, decision: ApprovalDecision.APPROVED, reason: 'fine' },
      as('approver'),
    );
    expect(decided.approval?.status).toBe(ApprovalStatus.APPROVED);
    const again = await failure(
      approvals.decide(
        { ticketId: ticket.ticketId, decision: ApprovalDecision.APPROVED },
        as('approver'),
      ),
    );
    expect(again.code).toBe(status.FAILED_PRECONDITION);

    await followed;
    expect(types.at(-1)).toBe('RunCompleted');
    expect(end).toMatchObject({ runId, status: RunStatus.COMPLETED });
    const done = await runs.wait({ runId, untilSettled: true, timeoutMs: 5_000 }, as('viewer'));
    expect(JSON.parse(done.run!.outputJson!)).toBe('approved');
  });

  it('following a run of another namespace is NOT_FOUND', async () => {
    const err = await failure(
      (async () => {
        for await (const _ of timelines.follow({ runId }, as('other'))) void _;
      })(),
    );
    expect(err.code).toBe(status.NOT_FOUND);
  });
});
