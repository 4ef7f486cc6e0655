// An agent that asks (with.ask) on both frameworks, against the OpenAI-compatible fake: the
// attempt stops with its framework's state saved in the content store, and the job sent again
// with the answer goes on from there — the fake's call log shows that no model call made before
// the question is made again, that the answer is the ask_user call's result, and that an agent
// may ask twice. The runner reports the stop as `suspended`, and its attempt ledger answers a
// duplicate of the job that asked with that outcome while running the resumed job.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Topic } from '@aob/core';
import type { CasRef, NodeJob } from '@aob/core';
import { MemoryBus } from '@aob/bus';
import { MemoryAttemptLedger, MemoryContentStore } from '@aob/store';
import { startOpenAIFake } from '../../testing/openai-fake.js';
import type { OpenAIFake } from '../../testing/openai-fake.js';
import { runExecutor } from '../registry.js';
import { NodeSuspension } from '../suspension.js';
import type { AgentHost, ExecutorContext } from '../types.js';
import type { TranscriptEntry } from './adapter.js';
import type { AgentFramework } from './config.js';
import type { AgentOutput, SavedAgentState } from './executor.js';
import { Runner } from '../../runner/runner.js';
import type { ResultMessage } from '../../runner/runner.js';

const FRAMEWORKS: AgentFramework[] = ['openai-agents', 'langgraph'];
const silent = { info() {}, warn() {}, error() {} };

/** get_node_output calls made (a tool with an effect the test can count). */
let reads = 0;
const host: AgentHost = {
  graph: async () => ({
    runId: 'run-1',
    irHash: 'h1',
    definition: { name: 'w', version: '1', nodes: [], edges: [] },
    nodes: {},
  }),
  nodeOutput: async () => {
    reads++;
    return { ticket: 42 };
  },
  proposePatch: async () => ({ patchId: 'p1', status: 'rejected', violations: [] }),
};

function agentJob(framework: AgentFramework, over: Partial<NodeJob> = {}): NodeJob {
  return {
    runId: 'run-1',
    nodeId: 'planner',
    attempt: 1,
    irHash: 'h',
    type: 'agent',
    config: { framework, model: 'm', prompt: 'Book a table.', ask: {} },
    input: null,
    inputRef: { $cas: 'sha256:00', size: 0 },
    timeoutMs: 30_000,
    priority: 'medium',
    idempotencyKey: 'run-1:planner',
    ...over,
  };
}

let fake: OpenAIFake;
let content: MemoryContentStore;
beforeEach(async () => {
  fake = await startOpenAIFake();
  content = new MemoryContentStore();
  reads = 0;
});
afterEach(async () => {
  await fake.close();
});

function ctx(): ExecutorContext {
  return {
    runId: 'run-1',
    nodeId: 'planner',
    attempt: 1,
    idempotencyKey: 'run-1:planner',
    signal: new AbortController().signal,
    log: silent,
    options: {
      handlers: {},
      allowPrivateNetwork: false,
      llm: { baseUrl: fake.baseURL },
      agentHost: () => host,
    },
    content,
  };
}

/** Runs the job: its output, or the suspension it stopped with. */
async function run(job: NodeJob): Promise<AgentOutput | NodeSuspension> {
  try {
    return (await runExecutor(job, ctx())) as AgentOutput;
  } catch (err) {
    if (err instanceof NodeSuspension) return err;
    throw err;
  }
}

const suspension = (x: AgentOutput | NodeSuspension): NodeSuspension => {
  expect(x).toBeInstanceOf(NodeSuspension);
  return x as NodeSuspension;
};
const output = (x: AgentOutput | NodeSuspension): AgentOutput => {
  expect(x).not.toBeInstanceOf(NodeSuspension);
  return x as AgentOutput;
};

const resumed = (
  job: NodeJob,
  s: NodeSuspension,
  questionId: string,
  answer: unknown,
): NodeJob => ({
  ...job,
  resume: { questionId, state: s.state, answer, by: 'user:ann' },
});

/** The chat messages of the fake's n-th call (0-based). */
const messagesOf = (n: number) =>
  (fake.requests[n]?.messages ?? []) as Array<Record<string, unknown>>;
/** A fingerprint of a call: its conversation, so a repeated call would show twice. */
const conversationOf = (n: number) => JSON.stringify(messagesOf(n));

describe.each(FRAMEWORKS)('an agent that asks on %s', (framework) => {
  it('stops at ask_user with its state saved, and goes on from it with the answer as the tool result, calling the model only for what comes after', async () => {
    fake.script(
      {
        toolCalls: [{ id: 'c1', name: 'get_node_output', arguments: { nodeId: 'a' } }],
        usage: { promptTokens: 10, completionTokens: 5 },
      },
      {
        toolCalls: [
          {
            id: 'c2',
            name: 'ask_user',
            arguments: { question: 'For how many people?', choices: ['2', '4'] },
          },
        ],
        usage: { promptTokens: 20, completionTokens: 5 },
      },
      { content: 'Booked for 4.', usage: { promptTokens: 30, completionTokens: 7 } },
    );
    const job = agentJob(framework);
    const s = suspension(await run(job));
    expect(s.question).toEqual({ question: 'For how many people?', choices: ['2', '4'] });
    expect(s.usage).toEqual({ promptTokens: 30, completionTokens: 10, totalTokens: 40 });
    expect(fake.calls).toBe(2);
    const saved = (await content.get(s.state)) as SavedAgentState;
    expect(saved).toMatchObject({ kind: 'aob.agent-state', version: 1, framework });
    expect(typeof saved.adapter).toBe('string');
    // ask_user was offered beside the graph tools.
    const offered = (
      (fake.requests[0]?.body?.['tools'] ?? []) as Array<{ function: { name: string } }>
    ).map((t) => t.function.name);
    expect(offered).toContain('ask_user');

    const out = output(await run(resumed(job, s, 'qst_1', '4')));
    expect(fake.calls).toBe(3); // one call after the answer; none of the two before again
    const before = [conversationOf(0), conversationOf(1)];
    expect(before).not.toContain(conversationOf(2));
    // The resumed call carries the whole conversation and the answer as ask_user's result.
    const third = messagesOf(2);
    expect(third.filter((m) => m['role'] === 'user').map((m) => m['content'])).toEqual([
      'Book a table.',
    ]);
    const toolResults = third.filter((m) => m['role'] === 'tool');
    expect(toolResults.map((m) => [m['tool_call_id'], JSON.parse(String(m['content']))])).toEqual([
      ['c1', { ticket: 42 }],
      ['c2', '4'],
    ]);
    expect(out.output).toBe('Booked for 4.');
    // This job's tokens only (those before are the suspension's); the whole attempt's turns.
    expect(out.usage).toEqual({ promptTokens: 30, completionTokens: 7, totalTokens: 37 });
    expect(out.turns).toBe(3);
    const transcript = (await content.get(out.transcript as CasRef)) as TranscriptEntry[];
    expect(transcript).toEqual([
      { type: 'message', role: 'user', content: 'Book a table.' },
      {
        type: 'tool_call',
        id: 'c1',
        name: 'get_node_output',
        args: { nodeId: 'a' },
        result: { ticket: 42 },
      },
      {
        type: 'tool_call',
        id: 'c2',
        name: 'ask_user',
        args: { question: 'For how many people?', choices: ['2', '4'] },
        result: '4',
      },
      { type: 'message', role: 'assistant', content: 'Booked for 4.' },
    ]);
  });

  it('can ask twice, each answer going on from the state saved at its question', async () => {
    fake.script(
      {
        toolCalls: [{ id: 'q1', name: 'ask_user', arguments: { question: 'Where?' } }],
        usage: { promptTokens: 10, completionTokens: 1 },
      },
      {
        toolCalls: [{ id: 'q2', name: 'ask_user', arguments: { question: 'When?' } }],
        usage: { promptTokens: 20, completionTokens: 2 },
      },
      { content: 'Paris at eight.', usage: { promptTokens: 30, completionTokens: 3 } },
    );
    const job = agentJob(framework);
    const first = suspension(await run(job));
    expect(first.question.question).toBe('Where?');
    const second = suspension(await run(resumed(job, first, 'qst_1', { city: 'Paris' })));
    expect(second.question.question).toBe('When?');
    expect(second.usage).toEqual({ promptTokens: 20, completionTokens: 2, totalTokens: 22 });
    expect(fake.calls).toBe(2);
    const out = output(await run(resumed(job, second, 'qst_2', 'eight')));
    expect(out.output).toBe('Paris at eight.');
    expect(fake.calls).toBe(3);
    expect(new Set([0, 1, 2].map(conversationOf)).size).toBe(3);
    const tools = messagesOf(2)
      .filter((m) => m['role'] === 'tool')
      .map((m) => JSON.parse(String(m['content'])));
    expect(tools).toEqual([{ city: 'Paris' }, 'eight']);
    expect(out.turns).toBe(3);
  });

  it('runs a tool called in the same turn as ask_user once, not again on resume', async () => {
    fake.script(
      {
        toolCalls: [
          { id: 'o1', name: 'get_node_output', arguments: { nodeId: 'a' } },
          { id: 'q1', name: 'ask_user', arguments: { question: 'Go on?' } },
        ],
      },
      { content: 'Done.' },
    );
    const job = agentJob(framework);
    const s = suspension(await run(job));
    expect(s.question.question).toBe('Go on?');
    const out = output(await run(resumed(job, s, 'qst_1', 'yes')));
    expect(out.output).toBe('Done.');
    expect(fake.calls).toBe(2);
    expect(reads).toBe(1);
    const tools = messagesOf(1)
      .filter((m) => m['role'] === 'tool')
      .map((m) => [m['tool_call_id'], JSON.parse(String(m['content']))]);
    expect(tools).toEqual(
      expect.arrayContaining([
        ['o1', { ticket: 42 }],
        ['q1', 'yes'],
      ]),
    );
    expect(tools).toHaveLength(2);
  });

  it('answers a malformed ask_user call with the problem instead of stopping', async () => {
    fake.script(
      { toolCalls: [{ id: 'q1', name: 'ask_user', arguments: { choices: [] } }] },
      { content: 'I could not ask.' },
    );
    const out = output(await run(agentJob(framework)));
    expect(out.output).toBe('I could not ask.');
    // The problem comes back as the tool's result (LangChain's schema check words it itself).
    const [tool] = messagesOf(1).filter((m) => m['role'] === 'tool');
    expect(String(tool?.['content'])).toMatch(/question/);
  });

  it('offers no ask_user without with.ask', async () => {
    fake.script({ content: 'ok' });
    const job = agentJob(framework);
    const { ask: _ask, ...config } = job.config;
    output(await run({ ...job, config }));
    const offered = (
      (fake.requests[0]?.body?.['tools'] ?? []) as Array<{ function: { name: string } }>
    ).map((t) => t.function.name);
    expect(offered).not.toContain('ask_user');
  });

  it('refuses state saved by the other framework', async () => {
    fake.script({ toolCalls: [{ id: 'q1', name: 'ask_user', arguments: { question: 'Where?' } }] });
    const s = suspension(await run(agentJob(framework)));
    const other = FRAMEWORKS.find((f) => f !== framework)!;
    await expect(run(resumed(agentJob(other), s, 'qst_1', 'x'))).rejects.toMatchObject({
      code: 'AGENT_STATE_UNREADABLE',
    });
  });
});

describe('a runner with an attempt ledger and an agent that asks', () => {
  it('reports suspended (usage, resumedFrom), answers a duplicate of the asking job with it, and runs the resumed job', async () => {
    fake.script(
      {
        toolCalls: [{ id: 'q1', name: 'ask_user', arguments: { question: 'Where?' } }],
        usage: { promptTokens: 10, completionTokens: 1 },
      },
      {
        toolCalls: [{ id: 'q2', name: 'ask_user', arguments: { question: 'When?' } }],
        usage: { promptTokens: 20, completionTokens: 2 },
      },
    );
    const bus = new MemoryBus({ redeliverAfterMs: 60_000 });
    const runner = new Runner({
      bus,
      content,
      options: {
        ...ctx().options,
        llm: { baseUrl: fake.baseURL, prices: { m: { input: 1, output: 2 } } },
      },
      concurrency: 2,
      consumer: 'r',
      attempts: { ledger: new MemoryAttemptLedger() },
    });
    await bus.ensureGroup('watch', [Topic.results]);
    await runner.start();
    const results: ResultMessage[] = [];
    const next = async (): Promise<ResultMessage> => {
      for (;;) {
        const batch = await bus.read({
          group: 'watch',
          consumer: 'w',
          topics: [Topic.results],
          blockMs: 200,
        });
        for (const m of batch) {
          const r = m.value as ResultMessage;
          results.push(r);
          if (r.kind === 'suspended' || r.kind === 'succeeded' || r.kind === 'failed') return r;
        }
      }
    };
    try {
      const job = agentJob('openai-agents');
      await bus.publish(Topic.jobsMedium, job.runId, job);
      const first = await next();
      expect(first).toMatchObject({
        kind: 'suspended',
        attempt: 1,
        question: { question: 'Where?' },
        usage: { promptTokens: 10, completionTokens: 1, costUsd: 0.000012 },
      });
      expect(first).not.toHaveProperty('resumedFrom');
      // The same job again (an outbox resend): the ledger's recorded outcome, no model call.
      await bus.publish(Topic.jobsMedium, job.runId, job);
      expect(await next()).toEqual(first);
      expect(fake.calls).toBe(1);
      // The resumed job has the same attempt number, and runs.
      if (first.kind !== 'suspended') throw new Error('unreachable');
      const again = {
        ...job,
        resume: { questionId: 'qst_1', state: first.state, answer: 'Paris', by: 'user:ann' },
      };
      await bus.publish(Topic.jobsMedium, job.runId, again);
      const second = await next();
      expect(second).toMatchObject({
        kind: 'suspended',
        attempt: 1,
        resumedFrom: 'qst_1',
        question: { question: 'When?' },
        usage: { promptTokens: 20, completionTokens: 2 },
      });
      expect(fake.calls).toBe(2);
    } finally {
      const stopped = runner.stop();
      await bus.close();
      await stopped;
    }
  });
});
