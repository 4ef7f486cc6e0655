// The question desk over a real engine (in-memory store, in-process driver): who may answer an
// ask node's question (its askees, in the approvers' forms; nobody named: any approver of the
// namespace; never an agent), the answer checked against its choices and schema with every
// problem named and nothing appended, closed and unknown questions, and the answer and the
// answering identity as the run's log records them.
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '@aob/core';
import { LocalEngine } from '@aob/engine';
import type { Principal, Role } from '../auth/index.js';
import { QuestionDesk } from './questions.js';

const engines: LocalEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

async function setup(): Promise<{ engine: LocalEngine; desk: QuestionDesk }> {
  const engine = await LocalEngine.open({ store: 'memory' });
  engines.push(engine);
  return { engine, desk: new QuestionDesk({ control: engine.control }) };
}

const who = (
  subject: string,
  role: Role,
  groups: string[] = [],
  namespace = 'acme',
): Principal => ({ subject, role, namespace, groups, tokenId: `tok_${subject}` });

const asking = (cfg: Record<string, unknown>): WorkflowDefinition =>
  ({
    name: 'asking',
    version: '1',
    nodes: [{ id: 'ask', type: 'ask', with: { question: 'How many seats?', ...cfg } }],
    edges: [],
    output: '{% nodes.ask.output %}',
  }) as WorkflowDefinition;

async function open(
  engine: LocalEngine,
  cfg: Record<string, unknown>,
  namespace = 'acme',
): Promise<{ runId: string; questionId: string }> {
  const runId = await engine.control.start(asking(cfg), {}, { namespace });
  const view = await engine.control.wait(runId, { untilSettled: true, timeoutMs: 5_000 });
  expect(view.status).toBe('waiting');
  const [q] = await engine.control.questions({ runId });
  return { runId, questionId: q!.questionId };
}

async function refusal(
  p: Promise<unknown>,
): Promise<{ code: string; message: string; details?: unknown }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected a refusal').toBeDefined();
  return err as { code: string; message: string };
}

describe('QuestionDesk', () => {
  it('an askee answers; the run completes with {answer, by}, by the token subject', async () => {
    const { engine, desk } = await setup();
    const { runId, questionId } = await open(engine, {
      choices: [2, 4, 6],
      askees: ['user:ann', 'group:hosts'],
    });
    const listed = await desk.list(who('bob', 'approver', ['hosts']), { status: 'open' });
    expect(listed.items).toMatchObject([
      {
        questionId,
        runId,
        nodeId: 'ask',
        kind: 'ask',
        status: 'open',
        question: 'How many seats?',
        choices: [2, 4, 6],
        askees: ['user:ann', 'group:hosts'],
        eligible: true,
      },
    ]);
    const answered = await desk.answer(who('bob', 'approver', ['hosts']), questionId, 4);
    expect(answered).toMatchObject({ status: 'answered', answered: { answer: 4, by: 'bob' } });
    const view = await engine.control.wait(runId, { timeoutMs: 5_000 });
    expect(view).toMatchObject({ status: 'completed', output: { answer: 4, by: 'bob' } });
    const events = await engine.control.events(runId);
    expect(events.find((e) => e.type === 'QuestionAnswered')).toMatchObject({
      actor: 'bob',
      data: { questionId, answer: 4, by: 'bob' },
    });
    expect(await desk.get(who('carol', 'viewer'), questionId)).toMatchObject({
      status: 'answered',
      eligible: false,
      answered: { answer: 4, by: 'bob' },
    });
  });

  it('refuses another person, an agent and a viewer (FORBIDDEN, naming the askees) and delivers nothing', async () => {
    const { engine, desk } = await setup();
    const { runId, questionId } = await open(engine, { askees: ['user:ann'] });
    const before = (await engine.control.events(runId)).length;
    const other = await refusal(desk.answer(who('bob', 'approver'), questionId, 'yes'));
    expect(other.code).toBe('FORBIDDEN');
    expect(other.message).toContain('user:ann');
    expect(other.message).toContain('bob (role approver');
    const agent = await refusal(desk.answer(who('agent:x', 'agent'), questionId, 'yes'));
    expect(agent.code).toBe('FORBIDDEN');
    const viewer = await refusal(desk.answer(who('ann', 'viewer'), questionId, 'yes'));
    expect(viewer.code).toBe('FORBIDDEN');
    expect((await engine.control.events(runId)).length).toBe(before);
    const mine = await desk.list(who('bob', 'approver'), { status: 'open', mine: true });
    expect(mine.items).toEqual([]);
    const annMine = await desk.list(who('ann', 'approver'), { status: 'open', mine: true });
    expect(annMine.items.map((q) => q.questionId)).toEqual([questionId]);
  });

  it('with no askees, any approver of the namespace may answer, and nobody of another', async () => {
    const { engine, desk } = await setup();
    const { runId, questionId } = await open(engine, {});
    const stranger = await refusal(desk.answer(who('eve', 'admin', [], 'beta'), questionId, 'x'));
    expect(stranger.code).toBe('QUESTION_NOT_FOUND');
    expect((await desk.list(who('eve', 'admin', [], 'beta'), { status: 'all' })).items).toEqual([]);
    const operator = await refusal(desk.answer(who('olga', 'operator'), questionId, 'x'));
    expect(operator.code).toBe('FORBIDDEN');
    await desk.answer(who('dan', 'approver'), questionId, 'anything');
    expect(await engine.control.wait(runId, { timeoutMs: 5_000 })).toMatchObject({
      status: 'completed',
      output: { answer: 'anything', by: 'dan' },
    });
  });

  it('refuses an answer invalid against the schema (BAD_ANSWER, every problem) and appends nothing', async () => {
    const { engine, desk } = await setup();
    const { runId, questionId } = await open(engine, {
      schema: {
        type: 'object',
        required: ['seats', 'time'],
        additionalProperties: false,
        properties: { seats: { type: 'integer', minimum: 1 }, time: { type: 'string' } },
      },
    });
    const before = (await engine.control.events(runId)).length;
    const bad = await refusal(
      desk.answer(who('dan', 'approver'), questionId, { seats: 0, smoking: true }),
    );
    expect(bad.code).toBe('BAD_ANSWER');
    expect(bad.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '/answer', message: expect.stringContaining('"time"') }),
        expect.objectContaining({ path: '/answer', message: expect.stringContaining('"smoking"') }),
        expect.objectContaining({
          path: '/answer/seats',
          message: expect.stringContaining('>= 1'),
        }),
      ]),
    );
    expect(bad.message).toContain('3 problems');
    const missing = await refusal(desk.answer(who('dan', 'approver'), questionId, undefined));
    expect(missing.code).toBe('BAD_ANSWER');
    expect((await engine.control.events(runId)).length).toBe(before);
    await desk.answer(who('dan', 'approver'), questionId, { seats: 2, time: '19:30' });
    expect(await engine.control.wait(runId, { timeoutMs: 5_000 })).toMatchObject({
      status: 'completed',
      output: { answer: { seats: 2, time: '19:30' }, by: 'dan' },
    });
  });

  it('refuses an answer outside the choices, naming them', async () => {
    const { engine, desk } = await setup();
    const { questionId } = await open(engine, { choices: ['yes', 'no'] });
    const bad = await refusal(desk.answer(who('dan', 'approver'), questionId, 'maybe'));
    expect(bad.code).toBe('BAD_ANSWER');
    expect(bad.message).toContain('must be one of "yes", "no" (got "maybe")');
  });

  it('a closed question is QUESTION_CLOSED (saying by whom), an unknown one QUESTION_NOT_FOUND', async () => {
    const { engine, desk } = await setup();
    const { runId, questionId } = await open(engine, {});
    await desk.answer(who('dan', 'approver'), questionId, 'first');
    const again = await refusal(desk.answer(who('ann', 'admin'), questionId, 'second'));
    expect(again.code).toBe('QUESTION_CLOSED');
    expect(again.message).toContain('answered already, by dan');
    const cancelled = await open(engine, {});
    await engine.control.cancel(cancelled.runId, 'enough', 'ann');
    await engine.control.wait(cancelled.runId, { timeoutMs: 5_000 });
    const late = await refusal(desk.answer(who('dan', 'approver'), cancelled.questionId, 'x'));
    expect(late.code).toBe('QUESTION_CLOSED');
    expect((await desk.get(who('dan', 'approver'), cancelled.questionId)).status).toBe('closed');
    const unknown = await refusal(desk.answer(who('dan', 'approver'), 'qst_nope', 'x'));
    expect(unknown.code).toBe('QUESTION_NOT_FOUND');
    expect((await refusal(desk.get(who('dan', 'approver'), 'qst_nope'))).code).toBe(
      'QUESTION_NOT_FOUND',
    );
    // Filtered by run, every question of it (all), open or not.
    const ofRun = await desk.list(who('dan', 'viewer'), { status: 'all', runId });
    expect(ofRun.items.map((q) => [q.questionId, q.status])).toEqual([[questionId, 'answered']]);
    expect(
      (await refusal(desk.list(who('dan', 'viewer', [], 'beta'), { status: 'all', runId }))).code,
    ).toBe('RUN_NOT_FOUND');
  });
});
