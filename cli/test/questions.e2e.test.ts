// Questions to people through the `aob` binary: an ask node's run started with `aob run start`,
// its question listed with `aob questions list`, answered with `aob answer` (text read against the
// question's choices and schema, or JSON from --file), locally and against `aob dev` with tokens:
// the askee answers, another approver is refused (FORBIDDEN, exit 2), a bad answer is refused
// naming every problem (BAD_ANSWER, exit 2) and recorded nowhere.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dev } from './helpers.js';
import { aob, example, json, startDev, tempHome, until } from './helpers.js';

interface QuestionJson {
  questionId: string;
  runId: string;
  nodeId: string;
  status: string;
  question: string;
  choices?: unknown[];
  askees: string[];
  eligible?: boolean;
  answered?: { answer: unknown; by: string };
}
interface ErrorJson {
  error: { code: string; message: string; problems?: { path: string; message: string }[] };
}

const ASK = {
  name: 'ask-once',
  version: '1',
  nodes: [
    {
      id: 'ask',
      type: 'ask',
      with: { question: 'Ship it?', choices: ['yes', 'no'], askees: ['user:ann'] },
    },
  ],
  edges: [],
  output: '{% nodes.ask.output %}',
};

describe('aob questions and aob answer, locally', () => {
  let home: string;
  let cleanup: () => void;
  let env: Record<string, string>;
  let file: string;
  beforeAll(() => {
    ({ home, cleanup } = tempHome());
    env = { AOB_HOME: home, USER: 'ann' };
    file = join(home, 'ask.json');
    writeFileSync(file, JSON.stringify(ASK));
  });
  afterAll(() => cleanup());

  it('run start waits on the question, questions list shows it, answer completes the run with {answer, by}', async () => {
    const started = await aob(['run', 'start', file, '--detach', '--json'], env);
    expect(started.code, started.stderr).toBe(4);
    const runId = json<{ runId: string; status: string }>(started).runId;
    expect(json<{ status: string }>(started).status).toBe('waiting');

    const listed = await aob(['questions', 'list', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const [q] = json<QuestionJson[]>(listed);
    expect(q).toMatchObject({
      runId,
      nodeId: 'ask',
      status: 'open',
      question: 'Ship it?',
      choices: ['yes', 'no'],
      askees: ['user:ann'],
    });
    // The run says what it waits on, in --json and to a person.
    expect(json<{ questions?: string[] }>(started).questions).toEqual([q!.questionId]);
    const human = await aob(['run', 'get', runId], env);
    expect(human.stdout).toContain(`waiting:  ${q!.questionId}`);
    const table = await aob(['questions', 'list', '--run', runId], env);
    expect(table.stdout).toMatch(/QUESTION\s+RUN\s+NODE\s+ASKS\s+CHOICES\s+ASKEES\s+DUE/);
    expect(table.stdout).toContain(`${q!.questionId}  ${runId}  ask   Ship it?  "yes" | "no"`);

    const bad = await aob(['answer', q!.questionId, 'maybe', '--json'], env);
    expect(bad.code).toBe(2);
    expect(json<ErrorJson>(bad).error).toMatchObject({
      code: 'BAD_ANSWER',
      problems: [{ path: '/answer', message: 'must be one of "yes", "no" (got "maybe")' }],
    });
    const logs = await aob(['logs', 'stream', runId, '--no-follow', '--json'], env);
    expect(logs.stdout).not.toContain('QuestionAnswered');

    const answered = await aob(['answer', q!.questionId, 'yes', '--json'], env);
    expect(answered.code, answered.stderr).toBe(0);
    expect(json(answered)).toMatchObject({
      questionId: q!.questionId,
      answer: 'yes',
      by: 'ann',
      runId,
      drivenHere: true,
      status: 'completed',
      run: { output: { answer: 'yes', by: 'ann' } },
    });
    const got = await aob(['run', 'get', runId, '--json'], env);
    expect(json(got)).toMatchObject({ status: 'completed', output: { answer: 'yes', by: 'ann' } });
    const log = await aob(['logs', 'stream', runId, '--no-follow'], env);
    expect(log.stdout).toContain(`${q!.questionId} for user:ann: "Ship it?" ["yes" | "no"]`);
    expect(log.stdout).toContain(`${q!.questionId} by ann: "yes"`);

    const again = await aob(['answer', q!.questionId, 'no', '--json'], env);
    expect(again.code).toBe(2);
    expect(json<ErrorJson>(again).error.code).toBe('QUESTION_CLOSED');
    const unknown = await aob(['answer', 'qst_nope', 'no'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no question qst_nope');
    const none = await aob(['questions', 'list'], env);
    expect(none.stdout.trim()).toBe('no open questions');
  });

  it('the example: a number choice read from text, a schema answer from --file, every problem named', async () => {
    const started = await aob(
      ['run', 'start', example('ask/workflow.json'), '--input', 'restaurant=Noma', '--detach'],
      env,
    );
    expect(started.code, started.stderr).toBe(4);
    const first = json<QuestionJson[]>(await aob(['questions', 'list', '--json'], env))[0]!;
    expect(first.question).toBe('How many guests for Noma?');
    // "4" is read as the number 4: it is one of the choices [2, 4, 6, 8].
    const guests = await aob(['answer', first.questionId, '4'], env);
    expect(guests.code, guests.stderr).toBe(4); // the run now waits on its next question
    const second = json<QuestionJson[]>(await aob(['questions', 'list', '--json'], env))[0]!;
    expect(second.nodeId).toBe('details');

    const badFile = join(home, 'bad-answer.json');
    writeFileSync(badFile, JSON.stringify({ time: '7pm', smoking: true }));
    const bad = await aob(['answer', second.questionId, '--file', badFile, '--json'], env);
    expect(bad.code).toBe(2);
    const problems = json<ErrorJson>(bad).error.problems!;
    expect(problems.map((p) => p.path).sort()).toEqual(['/answer', '/answer/time']);
    expect(problems.find((p) => p.path === '/answer')!.message).toContain('"smoking"');

    const text = await aob(
      ['answer', second.questionId, '{"time": "19:30", "notes": "one vegan"}', '--json'],
      env,
    );
    expect(text.code, text.stderr).toBe(0);
    expect(json(text)).toMatchObject({
      status: 'completed',
      run: { output: { guests: 4, time: '19:30', notes: 'one vegan', bookedWith: 'ann' } },
    });
  });
});

describe('aob questions and aob answer against aob dev', () => {
  let home: string;
  let cleanup: () => void;
  let dev: Dev;
  let as: (token: string) => Record<string, string>;
  let root: string;

  beforeAll(async () => {
    ({ home, cleanup } = tempHome());
    dev = await startDev({ AOB_HOME: home });
    root = dev.token;
    as = (token) => ({
      AOB_HOME: join(home, 'must-stay-unused'),
      AOB_SERVER: dev.url,
      AOB_TOKEN: token,
    });
  }, 60_000);

  afterAll(async () => {
    await dev?.stop();
    cleanup();
  });

  it('only the askee answers: --mine lists it for ann, bob is FORBIDDEN, ann completes the run', async () => {
    const token = async (subject: string) => {
      const r = await aob(
        ['token', 'create', '--role', 'approver', '--subject', subject, '--json'],
        as(root),
      );
      expect(r.code, r.stderr).toBe(0);
      return json<{ token: string }>(r).token;
    };
    const ann = await token('ann');
    const bob = await token('bob');
    const file = join(home, 'ask.json');
    writeFileSync(file, JSON.stringify(ASK));
    const started = await aob(['run', 'start', file, '--detach', '--json'], as(root));
    expect(started.code, started.stderr).toBe(4);
    const runId = json<{ runId: string }>(started).runId;

    const annMine = json<QuestionJson[]>(
      await aob(['questions', 'list', '--mine', '--json'], as(ann)),
    );
    expect(annMine).toMatchObject([{ runId, nodeId: 'ask', eligible: true }]);
    const bobMine = json<QuestionJson[]>(
      await aob(['questions', 'list', '--mine', '--json'], as(bob)),
    );
    expect(bobMine).toEqual([]);
    const questionId = annMine[0]!.questionId;

    const refused = await aob(['answer', questionId, 'yes', '--json'], as(bob));
    expect(refused.code).toBe(2);
    expect(json<ErrorJson>(refused).error.code).toBe('FORBIDDEN');
    const byFlag = await aob(['answer', questionId, 'yes', '--by', 'ann'], as(bob));
    expect(byFlag.code).toBe(2);
    expect(byFlag.stderr).toContain('--by');

    const answered = await aob(['answer', questionId, 'no'], as(ann));
    expect(answered.code, answered.stderr).toBe(0);
    expect(answered.stdout).toContain(`question ${questionId} answered by ann: "no"`);
    expect(answered.stdout).toContain('continues on the server');
    const done = await until('the run to complete', async () => {
      const got = json<{ status: string; output?: unknown }>(
        await aob(['run', 'get', runId, '--json'], as(root)),
      );
      return got.status === 'completed' ? got : undefined;
    });
    expect(done.output).toEqual({ answer: 'no', by: 'ann' });
  }, 60_000);
});
