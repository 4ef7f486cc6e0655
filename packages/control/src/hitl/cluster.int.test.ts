// The desk on the cluster topology: PostgreSQL event log, Kafka, S3, an orchestrator service and
// a runner in one "process", the desk with its own connections in another. Decisions and a
// reassignment made through the desk travel as run commands on aob.run.commands; the
// orchestrator that owns the run applies them, and the log records who decided and why.
import { randomBytes } from 'node:crypto';
import * as kafkajs from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AnyRunEvent, WorkflowDefinition } from '@aob/core';
import { Topic } from '@aob/core';
import type { Bus } from '@aob/bus';
import { KafkaBus } from '@aob/bus';
import { PgEventStore, S3ContentStore } from '@aob/store';
import { ClusterClient, OrchestratorService, Runner } from '@aob/engine';
import type { RunCommand } from '@aob/engine';
import { status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import type { Principal, Role } from '../auth/index.js';
import { authenticate, issueToken } from '../auth/index.js';
import { ControlPlane } from '../control-plane.js';
import { ApprovalDecision, ApprovalStatus, Approvals } from '../generated/aob/v1/approvals_pb.js';
import { Runs } from '../generated/aob/v1/runs_pb.js';
import { createClient } from '../grpc/client.js';
import { serveGrpc } from '../grpc/server.js';
import { ApprovalDesk } from './desk.js';
import { approvalsService } from './grpc.js';
import { QuestionDesk } from './questions.js';

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const tag = randomBytes(5).toString('hex');
const dbName = `aob_hitl_${tag}`;

function required(name: string): string {
  const v = process.env[name];
  if (!v)
    throw new Error(`${name} is not set: run the integration project (it starts Kafka and S3)`);
  return v;
}

const kafka = () =>
  new KafkaBus({
    brokers: required('KAFKA_BROKERS').split(','),
    prefix: `h${tag}.`,
    partitions: 4,
    sessionTimeout: 6_000,
    heartbeatInterval: 200,
    rebalanceTimeout: 5_000,
    maxWaitTimeInMs: 50,
    logLevel: kafkajs.logLevel.ERROR,
  });
const s3 = () =>
  new S3ContentStore({
    endpoint: required('S3_ENDPOINT'),
    bucket: required('S3_BUCKET'),
    region: process.env.S3_REGION || 'us-east-1',
    prefix: `h${tag}`,
    credentials: {
      accessKeyId: required('S3_ACCESS_KEY'),
      secretAccessKey: required('S3_SECRET_KEY'),
    },
  });

// The orchestrator side.
let store: PgEventStore;
let content: S3ContentStore;
let bus: KafkaBus;
let service: OrchestratorService;
let runner: Runner;
// The desk side: its own store, content and bus connections; every publish recorded.
let deskStore: PgEventStore;
let deskContent: S3ContentStore;
let deskBus: KafkaBus;
const published: { topic: string; key: string; value: unknown }[] = [];
let client: ClusterClient;
let desk: ApprovalDesk;

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000 });
  await admin.connect().catch((err: Error) => {
    throw new Error(`PostgreSQL is not reachable at ${ADMIN_URL}: ${err.message}`);
  });
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${dbName}`;

  store = await PgEventStore.open({ connectionString: url.toString() });
  content = s3();
  bus = kafka();
  service = new OrchestratorService({
    events: store,
    content,
    bus,
    instance: `orch-${tag}`,
    onError: (err) => process.emitWarning(`orchestrator: ${String(err)}`),
  });
  runner = new Runner({
    bus,
    content,
    options: { handlers: {}, allowPrivateNetwork: false },
    concurrency: 8,
    consumer: `runner-${tag}`,
  });
  await service.start();
  await runner.start();

  deskStore = await PgEventStore.open({ connectionString: url.toString() });
  deskContent = s3();
  deskBus = kafka();
  const recording: Bus = {
    ensureGroup: (g, t) => deskBus.ensureGroup(g, t),
    publish: (topic, key, value, headers) => {
      published.push({ topic, key, value });
      return deskBus.publish(topic, key, value, headers);
    },
    read: (o) => deskBus.read(o),
    ack: (g, t, ids) => deskBus.ack(g, t, ids),
    close: () => deskBus.close(),
  };
  client = new ClusterClient({ events: deskStore, content: deskContent, bus: recording });
  desk = new ApprovalDesk({ control: client.control, decisionWaitMs: 30_000 });
}, 120_000);

afterAll(async () => {
  await runner?.stop();
  await service?.stop();
  await bus?.close();
  await deskBus?.close();
  await store?.close();
  await deskStore?.close();
  await content?.close();
  await deskContent?.close();
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
}, 60_000);

const who = (subject: string, role: Role, groups: string[] = []): Principal => ({
  subject,
  role,
  namespace: 'acme',
  groups,
  tokenId: `tok_${subject}`,
});

const definition = {
  name: 'hitl-cluster',
  version: '1',
  nodes: [
    {
      id: 'gate',
      type: 'approval',
      with: { approvers: ['user:ada', 'user:bob'], quorum: 2, message: 'Release 2.0?' },
    },
    { id: 'after', type: 'transform', with: { value: '{% nodes.gate.output.by %}' } },
  ],
  edges: [{ from: 'gate', to: 'after', on: 'approved' }],
  output: '{% { "gate": nodes.gate.output, "after": nodes.after.output } %}',
} as WorkflowDefinition;

it('decisions and a reassignment made at the desk travel as run commands; the orchestrator applies them', async () => {
  const runId = await client.start(definition, {}, { namespace: 'acme' });
  const settled = await client.wait(runId, { untilSettled: true, timeoutMs: 30_000 });
  expect(settled.status).toBe('waiting');
  const ticketId = settled.waitingOn![0]!;

  const first = await desk.decide(who('ada', 'approver'), ticketId, 'approved', 'tests pass');
  expect(first).toMatchObject({ status: 'open', approvals: [{ by: 'ada', reason: 'tests pass' }] });
  const moved = await desk.reassign(who('root', 'admin'), ticketId, ['group:leads'], 'bob left');
  expect(moved).toMatchObject({ status: 'open', approvers: ['group:leads'], approvals: [] });
  await expect(desk.decide(who('bob', 'approver'), ticketId, 'approved')).rejects.toMatchObject({
    code: 'FORBIDDEN',
  });
  await desk.decide(who('lee', 'approver', ['leads']), ticketId, 'approved', 'fine');
  const done = await desk.decide(who('mae', 'approver', ['leads']), ticketId, 'approved', 'ship');
  expect(done).toMatchObject({ status: 'approved', decidedBy: 'mae', reason: 'ship' });

  const view = await client.wait(runId, { timeoutMs: 30_000 });
  expect(view.status).toBe('completed');
  expect(view.output).toEqual({
    gate: { decision: 'approved', by: 'mae', reason: 'ship' },
    after: 'mae',
  });

  // Every write went out as a run command keyed by the run, carrying the principal's subject.
  const commands = published
    .filter((m) => m.topic === Topic.commands && m.key === runId)
    .map((m) => m.value as RunCommand);
  expect(commands.map((c) => (c.type === 'trigger' ? c.trigger : c.type))).toEqual([
    'start',
    { type: 'approve', ticketId, decision: 'approved', by: 'ada', reason: 'tests pass' },
    { type: 'reassign', ticketId, approvers: ['group:leads'], by: 'root', reason: 'bob left' },
    { type: 'approve', ticketId, decision: 'approved', by: 'lee', reason: 'fine' },
    { type: 'approve', ticketId, decision: 'approved', by: 'mae', reason: 'ship' },
  ]);

  // The log, as the orchestrator wrote it, names who decided and why.
  const log = (await store.read(runId)).filter((e: AnyRunEvent) => e.type.startsWith('Approval'));
  expect(log.map((e) => [e.type, e.actor ?? null, e.data])).toEqual([
    [
      'ApprovalRequested',
      null,
      {
        ticketId,
        nodeId: 'gate',
        approvers: ['user:ada', 'user:bob'],
        quorum: 2,
        message: 'Release 2.0?',
      },
    ],
    ['ApprovalDecided', 'ada', { ticketId, decision: 'approved', by: 'ada', reason: 'tests pass' }],
    [
      'ApprovalReassigned',
      'root',
      { ticketId, approvers: ['group:leads'], by: 'root', reason: 'bob left' },
    ],
    ['ApprovalDecided', 'lee', { ticketId, decision: 'approved', by: 'lee', reason: 'fine' }],
    ['ApprovalDecided', 'mae', { ticketId, decision: 'approved', by: 'mae', reason: 'ship' }],
  ]);
}, 120_000);

it('an answer to an ask node travels as a run command; the orchestrator records it and the node succeeds', async () => {
  const questions = new QuestionDesk({ control: client.control, answerWaitMs: 30_000 });
  const asking = {
    name: 'hitl-cluster-ask',
    version: '1',
    nodes: [
      {
        id: 'pick',
        type: 'ask',
        with: { question: 'Which region?', choices: ['eu', 'us'], askees: ['group:ops'] },
      },
    ],
    edges: [],
    output: '{% nodes.pick.output %}',
  } as WorkflowDefinition;
  const runId = await client.start(asking, {}, { namespace: 'acme' });
  expect((await client.wait(runId, { untilSettled: true, timeoutMs: 30_000 })).status).toBe(
    'waiting',
  );
  const [q] = (await questions.list(who('olly', 'approver', ['ops']), { status: 'open', runId }))
    .items;
  expect(q).toMatchObject({ nodeId: 'pick', status: 'open', eligible: true });
  await expect(questions.answer(who('bob', 'approver'), q!.questionId, 'eu')).rejects.toMatchObject(
    { code: 'FORBIDDEN' },
  );
  await expect(
    questions.answer(who('olly', 'approver', ['ops']), q!.questionId, 'asia'),
  ).rejects.toMatchObject({ code: 'BAD_ANSWER' });
  const answered = await questions.answer(who('olly', 'approver', ['ops']), q!.questionId, 'eu');
  expect(answered).toMatchObject({ status: 'answered', answered: { answer: 'eu', by: 'olly' } });
  const view = await client.wait(runId, { timeoutMs: 30_000 });
  expect(view).toMatchObject({ status: 'completed', output: { answer: 'eu', by: 'olly' } });
  const commands = published
    .filter((m) => m.topic === Topic.commands && m.key === runId)
    .map((m) => m.value as RunCommand);
  // Only the accepted answer was sent: the refused ones never left the desk.
  expect(commands.map((c) => (c.type === 'trigger' ? c.trigger : c.type))).toEqual([
    'start',
    { type: 'answer', questionId: q!.questionId, answer: 'eu', by: 'olly' },
  ]);
}, 120_000);

it('the Approvals gRPC service alone (as services/hitl serves it): tokens, namespaces, decisions as run commands', async () => {
  // What startHitl assembles: a ControlPlane whose approvals are the desk, Approvals only.
  const plane = new ControlPlane({ control: client.control, store: deskStore, approvals: desk });
  const server = await serveGrpc(
    [approvalsService({ control: plane, authenticate: (h) => authenticate(deskStore, h) })],
    { port: 0, host: '127.0.0.1' },
  );
  const at = `127.0.0.1:${server.port}`;
  const approvals = createClient(Approvals, at);
  const runs = createClient(Runs, at);
  try {
    const token = async (subject: string, role: Role, namespace = 'acme', groups: string[] = []) =>
      `Bearer ${(await issueToken(deskStore, { subject, role, namespace, groups }, 'test')).token}`;
    const as = (authorization: string) => ({ metadata: { authorization } });
    const ada = await token('ada', 'approver');
    const bob = await token('bob', 'approver');
    const viewer = await token('val', 'viewer');
    const stranger = await token('root', 'admin', 'globex');
    const fail = (p: Promise<unknown>) =>
      p.then(
        () => {
          throw new Error('the call succeeded');
        },
        (e: unknown) => e as ServiceError,
      );

    const runId = await client.start(definition, {}, { namespace: 'acme' });
    const settled = await client.wait(runId, { untilSettled: true, timeoutMs: 30_000 });
    const ticketId = settled.waitingOn![0]!;

    const listed = await approvals.list({}, as(ada));
    const mine = listed.items.find((t) => t.ticketId === ticketId);
    expect(mine).toMatchObject({
      runId,
      status: ApprovalStatus.OPEN,
      approvers: ['user:ada', 'user:bob'],
      quorum: 2,
      message: 'Release 2.0?',
      eligible: true,
    });
    expect(
      (await approvals.list({}, as(viewer))).items.find((t) => t.ticketId === ticketId),
    ).toMatchObject({ eligible: false });
    expect((await approvals.list({ all: true }, as(stranger))).items).toEqual([]);

    const decide = (who: string, decision: ApprovalDecision, reason?: string) =>
      approvals.decide(
        { ticketId, decision, ...(reason !== undefined ? { reason } : {}) },
        as(who),
      );
    expect((await fail(decide(stranger, ApprovalDecision.APPROVED))).code).toBe(status.NOT_FOUND);
    expect((await fail(decide(viewer, ApprovalDecision.APPROVED))).code).toBe(
      status.PERMISSION_DENIED,
    );
    expect((await fail(approvals.decide({ ticketId, decision: 1 }))).code).toBe(
      status.UNAUTHENTICATED,
    );
    const first = await decide(ada, ApprovalDecision.APPROVED, 'lgtm');
    expect(first.approval).toMatchObject({
      status: ApprovalStatus.OPEN,
      approvals: [{ by: 'ada', reason: 'lgtm' }],
    });
    expect((await fail(decide(ada, ApprovalDecision.APPROVED))).code).toBe(
      status.FAILED_PRECONDITION,
    );
    const second = await decide(bob, ApprovalDecision.REJECTED, 'not yet');
    expect(second.approval).toMatchObject({
      status: ApprovalStatus.REJECTED,
      decidedBy: 'bob',
      reason: 'not yet',
    });
    expect((await client.wait(runId, { timeoutMs: 30_000 })).status).toBe('completed');
    const decided = (await store.read(runId)).filter((e) => e.type === 'ApprovalDecided');
    expect(decided.map((e) => e.data)).toEqual([
      { ticketId, decision: 'approved', by: 'ada', reason: 'lgtm' },
      { ticketId, decision: 'rejected', by: 'bob', reason: 'not yet' },
    ]);

    // Only Approvals is served here.
    expect((await fail(runs.get({ runId }, as(ada)))).code).toBe(status.UNIMPLEMENTED);
  } finally {
    approvals.close();
    runs.close();
    await server.stop(100);
  }
}, 120_000);
