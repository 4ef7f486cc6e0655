// Questions over REST and gRPC, against a real API server on the local engine: an ask node's
// question listed (filters, paging, `mine`), shown and answered by an askee; the refusals each
// surface gives — another person and an agent FORBIDDEN, an answer invalid against the schema
// BAD_ANSWER with every problem (REST `errors`, gRPC trailers) and nothing appended, a closed
// question QUESTION_CLOSED, an unknown one QUESTION_NOT_FOUND — and the SSE timeline carrying
// QuestionAsked and QuestionAnswered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { authenticate } from '../auth/index.js';
import { ControlPlane } from '../control-plane.js';
import { ApprovalDesk } from '../hitl/index.js';
import { QuestionKind, QuestionStatus, Questions } from '../generated/aob/v1/questions_pb.js';
import { serveApiGrpc } from '../grpc/api-server.js';
import { createClient } from '../grpc/client.js';
import { errorDetailOf } from '../grpc/errors.js';
import type { GrpcServer } from '../grpc/server.js';
import type { ApiHarness, Body } from './test-support.js';
import { startApiHarness } from './test-support.js';

const booking = {
  name: 'booking',
  version: '1',
  nodes: [
    {
      id: 'seats',
      type: 'ask',
      with: {
        question: 'How many seats, and when?',
        askees: ['user:ann', 'group:hosts'],
        schema: {
          type: 'object',
          required: ['seats', 'time'],
          additionalProperties: false,
          properties: { seats: { type: 'integer', minimum: 1 }, time: { type: 'string' } },
        },
      },
    },
  ],
  edges: [],
  output: '{% nodes.seats.output %}',
};

let api: ApiHarness;
let grpc: GrpcServer;
let operator: string;

beforeAll(async () => {
  api = await startApiHarness();
  operator = await api.token('operator');
  const plane = new ControlPlane({
    control: api.engine.control,
    store: api.engine.store,
    approvals: new ApprovalDesk({ control: api.engine.control }),
  });
  grpc = await serveApiGrpc({
    control: plane,
    authenticate: (header) => authenticate(api.engine.store, header),
    host: '127.0.0.1',
    port: 0,
  });
  const reg = await api.call('POST', '/v1/workflows', {
    token: operator,
    body: { definition: booking },
  });
  expect(reg.status).toBe(201);
}, 60_000);
afterAll(async () => {
  await grpc?.stop(100);
  await api?.close();
});

/** Starts a booking run in acme; resolves with it once it waits on its question. */
async function ask(): Promise<{ runId: string; questionId: string }> {
  const started = await api.call('POST', '/v1/runs', {
    token: operator,
    body: { workflow: 'booking' },
  });
  const runId = started.body.runId as string;
  const waited = await api.call('GET', `/v1/runs/${runId}/wait?untilSettled=true&timeoutMs=5000`, {
    token: operator,
  });
  expect(waited.body.status).toBe('waiting');
  const listed = await api.call('GET', `/v1/questions?run=${runId}`, { token: operator });
  const questionId = listed.body.items[0].questionId as string;
  // The run names the question it waits on.
  expect(waited.body.questions).toEqual([questionId]);
  return { runId, questionId };
}

const events = async (runId: string): Promise<Body[]> =>
  (await api.call('GET', `/v1/runs/${runId}/events`, { token: operator })).body.items;

describe('questions over REST', () => {
  it('lists, shows and takes an askee’s answer; the run completes with {answer, by}', async () => {
    const { runId, questionId } = await ask();
    const host = await api.token('approver', 'acme', { subject: 'hal', groups: ['hosts'] });
    const list = await api.call('GET', '/v1/questions?mine=true', { token: host });
    expect(list.status).toBe(200);
    expect(list.body.items.map((q: Body) => q.questionId)).toContain(questionId);
    const one = await api.call('GET', `/v1/questions/${questionId}`, { token: operator });
    expect(one.body).toMatchObject({
      questionId,
      runId,
      nodeId: 'seats',
      kind: 'ask',
      status: 'open',
      question: 'How many seats, and when?',
      askees: ['user:ann', 'group:hosts'],
      schema: { required: ['seats', 'time'] },
      eligible: false, // an operator never answers
    });
    expect(typeof one.body.askedAt).toBe('number');
    // Not listed as the operator's, listed as the host's.
    const notMine = await api.call('GET', '/v1/questions?mine=true', { token: operator });
    expect(notMine.body.items.map((q: Body) => q.questionId)).not.toContain(questionId);

    const answered = await api.call('POST', `/v1/questions/${questionId}/answer`, {
      token: host,
      body: { answer: { seats: 4, time: '19:30' } },
    });
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({
      status: 'answered',
      answered: { answer: { seats: 4, time: '19:30' }, by: 'hal' },
    });
    const done = await api.call('GET', `/v1/runs/${runId}/wait?timeoutMs=5000`, {
      token: operator,
    });
    expect(done.body).toMatchObject({
      status: 'completed',
      output: { answer: { seats: 4, time: '19:30' }, by: 'hal' },
    });
    const types = (await events(runId)).map((e) => e.type);
    expect(types).toContain('QuestionAsked');
    expect(types).toContain('QuestionAnswered');
    const all = await api.call('GET', `/v1/questions?status=all&run=${runId}`, { token: operator });
    expect(all.body.items).toMatchObject([{ questionId, status: 'answered' }]);
    const again = await api.call('POST', `/v1/questions/${questionId}/answer`, {
      token: await api.token('admin'),
      body: { answer: { seats: 2, time: '20:00' } },
    });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'QUESTION_CLOSED' });
    expect(again.body.detail).toContain('by hal');
  });

  it('refuses another person, an agent and a bad answer, appending nothing', async () => {
    const { runId, questionId } = await ask();
    const before = (await events(runId)).length;
    const bob = await api.call('POST', `/v1/questions/${questionId}/answer`, {
      token: await api.token('approver', 'acme', { subject: 'bob' }),
      body: { answer: { seats: 2, time: 'now' } },
    });
    expect(bob.status).toBe(403);
    expect(bob.body.code).toBe('FORBIDDEN');
    expect(bob.body.detail).toContain('user:ann, group:hosts');
    const agent = await api.call('POST', `/v1/questions/${questionId}/answer`, {
      token: await api.token('agent'),
      body: { answer: { seats: 2, time: 'now' } },
    });
    expect(agent.status).toBe(403);
    const ann = await api.token('approver', 'acme', { subject: 'ann' });
    const bad = await api.call('POST', `/v1/questions/${questionId}/answer`, {
      token: ann,
      body: { answer: { seats: 0, where: 'terrace' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('BAD_ANSWER');
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '/answer', message: expect.stringContaining('"time"') }),
        expect.objectContaining({ path: '/answer', message: expect.stringContaining('"where"') }),
        expect.objectContaining({ path: '/answer/seats' }),
      ]),
    );
    const noAnswer = await api.call('POST', `/v1/questions/${questionId}/answer`, {
      token: ann,
      body: {},
    });
    expect(noAnswer.status).toBe(400);
    expect((await events(runId)).length).toBe(before);
    const unknown = await api.call('POST', '/v1/questions/qst_nope/answer', {
      token: ann,
      body: { answer: 1 },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('QUESTION_NOT_FOUND');
    const otherNs = await api.call('GET', `/v1/questions/${questionId}`, {
      token: await api.token('admin', 'beta'),
    });
    expect(otherNs.status).toBe(404);
    expect(otherNs.body.code).toBe('QUESTION_NOT_FOUND');
  });

  it('pages the list', async () => {
    await ask();
    await ask();
    const first = await api.call('GET', '/v1/questions?limit=1', { token: operator });
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toBeDefined();
    const second = await api.call('GET', `/v1/questions?limit=1&cursor=${first.body.nextCursor}`, {
      token: operator,
    });
    expect(second.body.items).toHaveLength(1);
    expect(second.body.items[0].questionId).not.toBe(first.body.items[0].questionId);
  });
});

describe('questions over gRPC', () => {
  it('lists, gets and answers; a bad answer is INVALID_ARGUMENT with every problem', async () => {
    const { runId, questionId } = await ask();
    const client = createClient(Questions, `127.0.0.1:${grpc.port}`);
    const as = (t: string) => ({ metadata: { authorization: `Bearer ${t}` } });
    try {
      const listed = await client.list({ runId }, as(operator));
      expect(listed.items.map((q) => q.questionId)).toEqual([questionId]);
      const got = await client.get({ questionId }, as(operator));
      expect(got.question).toMatchObject({
        questionId,
        runId,
        nodeId: 'seats',
        kind: QuestionKind.ASK,
        status: QuestionStatus.OPEN,
        askees: ['user:ann', 'group:hosts'],
      });
      expect(JSON.parse(got.question!.schemaJson!)).toMatchObject({ type: 'object' });
      const ann = await api.token('approver', 'acme', { subject: 'ann' });
      const bad = await client
        .answer({ questionId, answerJson: JSON.stringify({ seats: 'four' }) }, as(ann))
        .then(
          () => undefined,
          (e: ServiceError) => e,
        );
      expect(bad?.code).toBe(status.INVALID_ARGUMENT);
      const detail = errorDetailOf(bad!);
      expect(detail?.code).toBe('BAD_ANSWER');
      expect(detail?.problems.map((p) => p.path).sort()).toEqual(['/answer', '/answer/seats']);
      const notJson = await client.answer({ questionId, answerJson: '{seats' }, as(ann)).then(
        () => undefined,
        (e: ServiceError) => e,
      );
      expect(notJson?.code).toBe(status.INVALID_ARGUMENT);
      const agent = await client
        .answer({ questionId, answerJson: '"x"' }, as(await api.token('agent')))
        .then(
          () => undefined,
          (e: ServiceError) => e,
        );
      expect(agent?.code).toBe(status.PERMISSION_DENIED);
      const answered = await client.answer(
        { questionId, answerJson: JSON.stringify({ seats: 3, time: '18:00' }) },
        as(ann),
      );
      expect(answered.question).toMatchObject({ status: QuestionStatus.ANSWERED });
      expect(answered.question!.answered).toMatchObject({ by: 'ann' });
      expect(JSON.parse(answered.question!.answered!.answerJson)).toEqual({
        seats: 3,
        time: '18:00',
      });
      const closed = await client
        .answer({ questionId, answerJson: JSON.stringify({ seats: 3, time: '18:00' }) }, as(ann))
        .then(
          () => undefined,
          (e: ServiceError) => e,
        );
      expect(closed?.code).toBe(status.FAILED_PRECONDITION);
      expect(errorDetailOf(closed!)?.code).toBe('QUESTION_CLOSED');
      const missing = await client.get({ questionId: 'qst_nope' }, as(operator)).then(
        () => undefined,
        (e: ServiceError) => e,
      );
      expect(missing?.code).toBe(status.NOT_FOUND);
    } finally {
      client.close();
    }
  });
});
