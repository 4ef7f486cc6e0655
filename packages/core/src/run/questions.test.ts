import { describe, expect, it } from 'vitest';
import { compile } from '../ir/compile.js';
import type { WorkflowDefinition } from '../definition/types.js';
import { validateDefinition } from '../definition/validate.js';
import { fold } from './evolve.js';
import { Sim } from './testing/sim.js';

const echo = { echo: (input: unknown) => input };

function wf(nodes: WorkflowDefinition['nodes'], edges: WorkflowDefinition['edges'] = []) {
  const def: WorkflowDefinition = { name: 'q', version: '1', nodes, edges };
  expect(validateDefinition(def)).toEqual([]);
  return compile(def);
}

const askThenEcho = (askWith: object) =>
  wf(
    [
      { id: 'ask', type: 'ask', with: { question: 'Which region?', ...askWith } },
      { id: 'after', type: 'task', with: { handler: 'echo' } },
    ],
    [{ from: 'ask', to: 'after' }],
  );

/** Every test ends with the invariant that holds for any run: the log folds to the state. */
function folds(sim: Sim): void {
  expect(fold(sim.log, sim.runId)).toEqual(sim.state);
  expect(sim.log.map((e) => e.seq)).toEqual(sim.log.map((_, i) => i + 1));
}

function questionOf(sim: Sim) {
  const asked = sim.log.filter((e) => e.type === 'QuestionAsked').at(-1);
  if (asked?.type !== 'QuestionAsked') throw new Error('no question asked');
  return asked.data;
}

/** Plays a runner whose agent job asks a question: started, then suspended with its state. */
function suspend(sim: Sim, question: object, resumedFrom?: string) {
  const job = sim.jobs.shift()!;
  sim.apply({ type: 'nodeStarted', nodeId: job.nodeId, attempt: job.attempt });
  sim.apply({
    type: 'nodeSuspended',
    nodeId: job.nodeId,
    attempt: job.attempt,
    question: { question: 'Go on?', ...question },
    state: sim.put({ saved: 'agent state', after: resumedFrom ?? null }),
    usage: { promptTokens: 10, completionTokens: 5 },
    ...(resumedFrom !== undefined ? { resumedFrom } : {}),
  });
  return job;
}

describe('ask node', () => {
  it('waits on its question, then succeeds with the answer and who gave it', () => {
    const sim = new Sim(askThenEcho({ choices: ['eu', 'us'], askees: ['ops'] }), 'r', {
      handlers: echo,
    });
    sim.start().runToRest();
    expect(sim.state.status).toBe('waiting');
    const q = questionOf(sim);
    expect(q).toMatchObject({
      nodeId: 'ask',
      attempt: 1,
      question: 'Which region?',
      choices: ['eu', 'us'],
      askees: ['ops'],
    });
    expect(sim.log.at(-1)).toMatchObject({
      type: 'RunWaiting',
      data: { questions: [q.questionId] },
    });

    // An answer outside the choices, or to a question nobody asked, changes nothing.
    expect(
      sim.apply({ type: 'answer', questionId: q.questionId, answer: 'mars', by: 'ann' }),
    ).toEqual([]);
    expect(sim.apply({ type: 'answer', questionId: 'nope', answer: 'eu', by: 'ann' })).toEqual([]);

    sim.apply({ type: 'answer', questionId: q.questionId, answer: 'eu', by: 'ann' });
    sim.runToRest();
    expect(sim.types('ask')).toEqual([
      'NodeScheduled',
      'QuestionAsked',
      'QuestionAnswered',
      'NodeSucceeded',
    ]);
    expect(sim.log.find((e) => e.type === 'QuestionAnswered')).toMatchObject({
      actor: 'ann',
      data: { questionId: q.questionId, answer: 'eu', by: 'ann' },
    });
    expect(sim.state.status).toBe('completed');
    expect(sim.output()).toEqual({ ask: { answer: 'eu', by: 'ann' } });

    // A second answer to the same question is too late.
    expect(
      sim.apply({ type: 'answer', questionId: q.questionId, answer: 'us', by: 'bob' }),
    ).toEqual([]);
    folds(sim);
  });

  it('evaluates its question when it starts', () => {
    const ir = wf([
      { id: 'ask', type: 'ask', with: { question: '{% "Deploy " & inputs.app & "?" %}' } },
    ]);
    const sim = new Sim(ir, 'r').start({ app: 'shop' }).runToRest();
    expect(questionOf(sim)).toMatchObject({ question: 'Deploy shop?', askees: [] });
    folds(sim);
  });

  it('times out: fails with QUESTION_TIMEOUT, or records its default through the timeout port', () => {
    const failing = new Sim(askThenEcho({ timeoutMs: 1000 }), 'r', { handlers: echo });
    failing.start().runToRest();
    expect(questionOf(failing).dueAt).toBe(failing.now + 1000);
    failing.fireNextTimer();
    expect(failing.state.status).toBe('failed');
    expect(failing.state.error?.code).toBe('QUESTION_TIMEOUT');
    folds(failing);

    const ir = wf(
      [
        {
          id: 'ask',
          type: 'ask',
          with: { question: 'Ship?', timeoutMs: 1000, onTimeout: 'default', default: 'no' },
        },
        { id: 'onTime', type: 'task', with: { handler: 'echo' } },
        { id: 'late', type: 'task', with: { handler: 'echo' } },
      ],
      [
        { from: 'ask', to: 'onTime' },
        { from: 'ask', to: 'late', on: 'timeout' },
      ],
    );
    const sim = new Sim(ir, 'r', { handlers: echo }).start().runToRest();
    sim.fireNextTimer();
    sim.runToRest();
    expect(sim.log.find((e) => e.type === 'QuestionAnswered')?.data).toMatchObject({
      answer: 'no',
      by: 'timeout',
      timedOut: true,
    });
    expect(sim.state.nodes.late?.status).toBe('succeeded');
    expect(sim.state.status).toBe('completed');
    // An answer after the timeout is too late; a timer that fires after an answer is nothing.
    expect(
      sim.apply({ type: 'answer', questionId: questionOf(sim).questionId, answer: 'yes', by: 'a' }),
    ).toEqual([]);
    folds(sim);
  });

  it('an answer clears the question timer', () => {
    const sim = new Sim(askThenEcho({ timeoutMs: 1000 }), 'r', { handlers: echo });
    sim.start().runToRest();
    sim.apply({ type: 'answer', questionId: questionOf(sim).questionId, answer: 'x', by: 'a' });
    expect(sim.state.timers).toEqual({});
    sim.runToRest();
    expect(sim.state.status).toBe('completed');
    folds(sim);
  });
});

describe('an agent that asks', () => {
  const agentWf = (ask: object = {}) =>
    wf([
      {
        id: 'agent',
        type: 'agent',
        with: { framework: 'openai-agents', model: 'm', prompt: 'p', ask },
      },
    ]);

  it('suspends its attempt, then the same attempt resumes from its saved state with the answer', () => {
    const sim = new Sim(agentWf({ askees: ['ops'] }), 'r').start();
    suspend(sim, { choices: ['yes', 'no'] });
    const q = questionOf(sim);
    expect(q).toMatchObject({
      nodeId: 'agent',
      attempt: 1,
      askees: ['ops'],
      choices: ['yes', 'no'],
    });
    expect(q.resume).toBeDefined();
    expect(sim.state.nodes.agent?.status).toBe('waiting');
    expect(sim.state.status).toBe('waiting');
    expect(sim.state.usage.tokens).toBe(15);

    sim.apply({ type: 'answer', questionId: q.questionId, answer: 'yes', by: 'ann' });
    const job = sim.jobs.shift()!;
    expect(job).toMatchObject({
      nodeId: 'agent',
      attempt: 1,
      resume: { questionId: q.questionId, state: q.resume, answer: 'yes', by: 'ann' },
    });
    expect(sim.state.nodes.agent?.status).toBe('scheduled');

    // After a restart the resumed job goes out again, still carrying the answer.
    sim.apply({ type: 'recover' });
    expect(sim.jobs.shift()?.resume?.questionId).toBe(q.questionId);

    sim.apply({ type: 'nodeStarted', nodeId: 'agent', attempt: 1 });
    sim.apply({ type: 'nodeSucceeded', nodeId: 'agent', attempt: 1, output: sim.put('done') });
    expect(sim.state.status).toBe('completed');
    expect(sim.types('agent')).toEqual([
      'NodeScheduled',
      'NodeStarted',
      'QuestionAsked',
      'QuestionAnswered',
      'NodeStarted',
      'NodeSucceeded',
    ]);
    folds(sim);
  });

  it('asks again after resuming; a stale suspension of the first job asks nothing', () => {
    const sim = new Sim(agentWf(), 'r').start();
    suspend(sim, {});
    const first = questionOf(sim);
    sim.apply({ type: 'answer', questionId: first.questionId, answer: 'a', by: 'ann' });
    const resumed = sim.jobs[0]!;

    // The first job delivered twice: its suspension does not ask again.
    expect(
      sim.apply({
        type: 'nodeSuspended',
        nodeId: 'agent',
        attempt: 1,
        question: { question: 'Go on?' },
        state: sim.put('old'),
      }),
    ).toEqual([]);

    suspend(sim, { question: 'And then?' }, resumed.resume!.questionId);
    const second = questionOf(sim);
    expect(second.questionId).not.toBe(first.questionId);
    expect(second.question).toBe('And then?');
    sim.apply({ type: 'answer', questionId: second.questionId, answer: 'b', by: 'bob' });
    expect(sim.jobs.shift()?.resume).toMatchObject({ questionId: second.questionId, answer: 'b' });
    folds(sim);
  });

  it('fails with QUESTION_TIMEOUT when nobody answers in time', () => {
    const sim = new Sim(agentWf({ timeoutMs: 500 }), 'r').start();
    suspend(sim, {});
    sim.fireNextTimer();
    expect(sim.state.status).toBe('failed');
    expect(sim.state.error).toMatchObject({ code: 'QUESTION_TIMEOUT', retryable: false });
    folds(sim);
  });

  it('a cancelled run answers nothing', () => {
    const sim = new Sim(agentWf(), 'r').start();
    suspend(sim, {});
    sim.apply({ type: 'cancel', by: 'ops' });
    expect(
      sim.apply({ type: 'answer', questionId: questionOf(sim).questionId, answer: 'x', by: 'a' }),
    ).toEqual([]);
    expect(sim.jobs).toEqual([]);
    folds(sim);
  });
});
