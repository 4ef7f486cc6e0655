// Questions on the local engine, on the memory and the SQLite store: RunControl lists an ask
// node's open question, refuses an answer outside its choices or invalid against its schema with
// every problem named and nothing appended, and an accepted answer completes the run with
// {answer, by}. On SQLite a second process's answer reaches the run through the store's inbox.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '@aob/core';
import { LocalEngine } from './local-engine.js';

const engines: LocalEngine[] = [];
const homes: string[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

async function open(store: 'memory' | 'sqlite', home?: string): Promise<LocalEngine> {
  const engine =
    store === 'memory'
      ? await LocalEngine.open({ store: 'memory' })
      : await LocalEngine.open({ home: home! });
  engines.push(engine);
  return engine;
}

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'aob-questions-'));
  homes.push(home);
  return home;
}

const party: WorkflowDefinition = {
  name: 'party',
  version: '1',
  nodes: [
    {
      id: 'size',
      type: 'ask',
      with: {
        question: 'How many guests?',
        choices: [2, 4, 8],
        schema: { type: 'integer', maximum: 4 },
      },
    },
    { id: 'confirm', type: 'transform', with: { value: '{% nodes.size.output.answer * 10 %}' } },
  ],
  edges: [{ from: 'size', to: 'confirm' }],
  output: '{% { "size": nodes.size.output, "cost": nodes.confirm.output } %}',
} as WorkflowDefinition;

async function refusal(p: Promise<unknown>): Promise<{ code: string; details?: unknown }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected a refusal').toBeDefined();
  return err as { code: string; details?: unknown };
}

describe.each(['memory', 'sqlite'] as const)(
  'questions on the local engine (%s store)',
  (store) => {
    it('lists the open question, refuses bad answers appending nothing, and completes on a good one', async () => {
      const engine = await open(store, store === 'sqlite' ? newHome() : undefined);
      const runId = await engine.control.start(party, {});
      const waiting = await engine.control.wait(runId, { untilSettled: true, timeoutMs: 5_000 });
      expect(waiting.status).toBe('waiting');
      const [q] = await engine.control.questions();
      expect(q).toMatchObject({
        runId,
        nodeId: 'size',
        kind: 'ask',
        status: 'open',
        question: 'How many guests?',
        choices: [2, 4, 8],
        askees: [],
      });
      expect(waiting.questions).toEqual([q!.questionId]);
      expect(await engine.control.question(q!.questionId)).toMatchObject({
        questionId: q!.questionId,
        namespace: 'default',
      });
      const before = (await engine.control.events(runId)).length;
      const notChoice = await refusal(engine.control.answer(q!.questionId, 3, 'ann'));
      expect(notChoice.code).toBe('BAD_ANSWER');
      // 8 is a choice but over the schema's maximum; "4" is a string, neither a choice nor an integer.
      const overMax = await refusal(engine.control.answer(q!.questionId, 8, 'ann'));
      expect(overMax.details).toEqual([
        expect.objectContaining({ path: '/answer', message: expect.stringContaining('<= 4') }),
      ]);
      const text = await refusal(engine.control.answer(q!.questionId, '4', 'ann'));
      expect((text.details as unknown[]).length).toBe(2);
      expect((await engine.control.events(runId)).length).toBe(before);

      const answered = await engine.control.answer(q!.questionId, 4, 'ann');
      expect(answered).toMatchObject({ runId, drivenHere: true });
      const done = await engine.control.wait(runId, { timeoutMs: 5_000 });
      expect(done).toMatchObject({
        status: 'completed',
        output: { size: { answer: 4, by: 'ann' }, cost: 40 },
      });
      expect(await engine.control.questions()).toEqual([]);
      expect(done.questions).toBeUndefined();
      expect(await engine.control.questions({ all: true })).toMatchObject([
        { questionId: q!.questionId, status: 'answered', answered: { answer: 4, by: 'ann' } },
      ]);
      expect((await refusal(engine.control.answer(q!.questionId, 2, 'bo'))).code).toBe(
        'QUESTION_CLOSED',
      );
      expect((await refusal(engine.control.answer('qst_none', 2, 'bo'))).code).toBe(
        'QUESTION_NOT_FOUND',
      );
    });
  },
);

describe('questions across processes (SQLite)', () => {
  it('an answer from another process reaches the run through the inbox', async () => {
    const home = newHome();
    const driver = await open('sqlite', home);
    const runId = await driver.control.start(party, {});
    await driver.control.wait(runId, { untilSettled: true, timeoutMs: 5_000 });
    const other = await open('sqlite', home);
    const [q] = await other.control.questions();
    const answered = await other.control.answer(q!.questionId, 2, 'cy');
    expect(answered.drivenHere).toBe(false);
    const done = await driver.control.wait(runId, { timeoutMs: 10_000 });
    expect(done).toMatchObject({ status: 'completed', output: { size: { answer: 2, by: 'cy' } } });
  });
});
