// Budgets in the local engine, with the real OpenAI client talking to the OpenAI-compatible fake:
// repeated llm calls halted by a token budget, a wall-time and a node budget, and a bad budget
// refused whole with nothing stored.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnyRunEvent } from '@aob/core';
import { LocalEngine } from './local-engine.js';
import { startOpenAIFake } from '../testing/openai-fake.js';
import { transformChain } from '../testing/transform-chain.js';
import type { OpenAIFake } from '../testing/openai-fake.js';

let home: string;
let fake: OpenAIFake;
let engine: LocalEngine | undefined;
beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'aob-budget-'));
  fake = await startOpenAIFake();
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await fake.close();
  rmSync(home, { recursive: true, force: true });
});

/** Events after BudgetExceeded, by type: the run's end and nothing else. */
function afterExceeded(events: readonly AnyRunEvent[]): string[] {
  const i = events.findIndex((e) => e.type === 'BudgetExceeded');
  expect(i).toBeGreaterThan(0);
  return events.slice(i + 1).map((e) => e.type);
}

/** examples/budget: asks the model once per question, one at a time (repeated llm calls). */
const askEach = JSON.parse(
  readFileSync(new URL('../../../../examples/budget/workflow.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

/** Four transforms in a row: four executions. */
const chain = transformChain(4);

describe('budgets in the local engine', () => {
  it('a token budget halts repeated llm calls: BudgetExceeded, then RunFailed, no further call', async () => {
    engine = await LocalEngine.open({
      home,
      llm: {
        baseUrl: fake.baseURL,
        models: { fast: 'gpt-4o-mini' },
        prices: { fast: { input: 0.15, output: 0.6 } },
      },
    });
    fake.script(
      ...Array.from({ length: 6 }, (_, i) => ({
        content: `answer ${i}`,
        usage: { promptTokens: 30, completionTokens: 20 },
      })),
    );
    const questions = ['a', 'b', 'c', 'd', 'e', 'f'];
    const runId = await engine.control.start(askEach, { questions }, { budget: { tokens: 120 } });
    const view = await engine.control.wait(runId, { timeoutMs: 20_000 });

    expect(view.status).toBe('failed');
    expect(view.error).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    // 50 tokens a call: the third call crosses 120, and no fourth call is made.
    expect(fake.calls).toBe(3);
    expect(view.usage).toMatchObject({
      promptTokens: 90,
      completionTokens: 60,
      tokens: 150,
      nodes: 3,
    });
    // 3 × (30 × 0.15 + 20 × 0.6) / 1e6 dollars.
    expect(view.usage.costUsd).toBeCloseTo(3 * 16.5e-6, 12);
    // The tighter of the run's budget and the example's own (tokens 20000, wall 10 min).
    expect(view.budget).toEqual({ tokens: 120, wallMs: 600_000 });
    expect(view.budgetExceeded).toEqual({ limit: 'tokens', budget: 120, used: 150 });
    const events = await engine.control.events(runId);
    expect(afterExceeded(events)).toEqual(['RunFailed']);
    const scheduled = events.filter((e) => e.type === 'NodeScheduled').length;
    expect(scheduled).toBe(4); // the map, and its three items
    const succeeded = events.filter((e) => e.type === 'NodeSucceeded');
    expect(succeeded.map((e) => e.type === 'NodeSucceeded' && e.data.usage)).toEqual(
      Array.from({ length: 3 }, () => ({
        promptTokens: 30,
        completionTokens: 20,
        costUsd: 0.0000165,
      })),
    );
  });

  it.each(['openai-agents', 'langgraph'] as const)(
    'a token budget halts agents run one after another (%s): no model call after BudgetExceeded',
    async (framework) => {
      engine = await LocalEngine.open({
        home,
        llm: { baseUrl: fake.baseURL, models: { fast: 'gpt-4o-mini' } },
      });
      // Each agent turn: one tool call (get_graph), then its answer; 40 tokens a model call.
      let n = 0;
      fake.script(
        ...Array.from({ length: 8 }, () => [
          {
            toolCalls: [{ name: 'get_graph', arguments: {} }],
            usage: { promptTokens: 30, completionTokens: 10 },
          },
          { content: `done ${++n}`, usage: { promptTokens: 30, completionTokens: 10 } },
        ]).flat(),
      );
      const def = {
        name: 'agent-loop',
        version: '1',
        nodes: [
          {
            id: 'agents',
            type: 'map',
            with: {
              items: '{% inputs.tasks %}',
              concurrency: 1,
              body: { type: 'agent', with: { framework, model: 'fast', prompt: '{% item %}' } },
            },
          },
        ],
      };
      const runId = await engine.control.start(
        def,
        { tasks: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] },
        { budget: { tokens: 200 } },
      );
      const view = await engine.control.wait(runId, { timeoutMs: 30_000 });
      expect(view.status).toBe('failed');
      // 80 tokens an agent: the third crosses 200, and no fourth agent calls the model.
      expect(view.budgetExceeded).toEqual({ limit: 'tokens', budget: 200, used: 240 });
      expect(fake.calls).toBe(6);
      expect(view.usage).toMatchObject({ tokens: 240, nodes: 3, unpriced: 3 });
      expect(afterExceeded(await engine.control.events(runId))).toEqual(['RunFailed']);
    },
  );

  it.each(['openai-agents', 'langgraph'] as const)(
    'a token budget stops a looping agent mid-attempt (%s): BudgetExceeded, nothing after RunFailed',
    async (framework) => {
      engine = await LocalEngine.open({
        home,
        llm: { baseUrl: fake.baseURL, models: { fast: 'gpt-4o-mini' } },
      });
      // An agent that calls a tool forever: 100 tokens a model call.
      fake.script(
        ...Array.from({ length: 20 }, () => ({
          toolCalls: [{ name: 'get_graph', arguments: {} }],
          usage: { promptTokens: 80, completionTokens: 20 },
        })),
      );
      const def = JSON.parse(
        readFileSync(
          new URL('../../../../examples/budget/agent-loop.json', import.meta.url),
          'utf8',
        ),
      ) as { nodes: { with: Record<string, unknown> }[] };
      def.nodes[0]!.with.framework = framework;
      const runId = await engine.control.start(
        def,
        { task: 'Find out.' },
        { budget: { tokens: 250 } },
      );
      const view = await engine.control.wait(runId, { timeoutMs: 30_000 });
      expect(view.status).toBe('failed');
      expect(view.error).toMatchObject({ code: 'BUDGET_EXCEEDED' });
      // 100, 200, 300: the third call crosses 250 and the agent stops there (maxTurns is 20).
      expect(fake.calls).toBe(3);
      expect(view.budgetExceeded).toEqual({ limit: 'tokens', budget: 250, used: 300 });
      expect(view.usage).toMatchObject({ tokens: 300, nodes: 1 });
      const events = await engine.control.events(runId);
      const failed = events.find((e) => e.type === 'NodeFailed');
      expect(failed?.data).toMatchObject({
        nodeId: 'research',
        final: true,
        error: { code: 'BUDGET_EXCEEDED', retryable: false },
        usage: { promptTokens: 240, completionTokens: 60 },
      });
      expect(afterExceeded(events)).toEqual(['RunFailed']);
      await new Promise((r) => setTimeout(r, 200));
      expect(fake.calls).toBe(3);
    },
  );

  it("a child run is held to what its parent has left, and its parent's usage includes the child's", async () => {
    engine = await LocalEngine.open({ home, llm: { baseUrl: fake.baseURL } });
    fake.script(
      ...Array.from({ length: 6 }, (_, i) => ({
        content: `answer ${i}`,
        usage: { promptTokens: 30, completionTokens: 20 },
      })),
    );
    const llm = (id: string) => ({ id, type: 'llm', with: { model: 'fast', prompt: id } });
    await engine.control.registerWorkflow({
      name: 'child',
      version: '1',
      budget: { tokens: 10_000, onExceeded: 'pause' },
      nodes: [llm('x'), llm('y'), llm('z')],
      edges: [
        { from: 'x', to: 'y' },
        { from: 'y', to: 'z' },
      ],
    });
    const parent = {
      name: 'parent',
      version: '1',
      nodes: [
        llm('a'),
        { id: 'sub', type: 'subworkflow', with: { workflow: 'child@1' } },
        { id: 'after', type: 'transform', with: { value: 1 } },
      ],
      edges: [
        { from: 'a', to: 'sub' },
        { from: 'sub', to: 'after' },
      ],
    };
    const runId = await engine.control.start(parent, {}, { budget: { tokens: 120 } });
    const view = await engine.control.wait(runId, { timeoutMs: 20_000 });
    const events = await engine.control.events(runId);
    const started = events.find((e) => e.type === 'ChildRunStarted');
    const childRunId = started?.type === 'ChildRunStarted' ? started.data.childRunId : '';
    const child = await engine.control.wait(childRunId, { timeoutMs: 10_000 });

    // a spent 50: the child got 70, by its parent's policy (not its own pause); x and y spent
    // 100, crossing it, and z never ran.
    expect(fake.calls).toBe(3);
    expect(child.status).toBe('failed');
    expect(child.budget).toEqual({ tokens: 70, onExceeded: 'fail' });
    expect(child.budgetExceeded).toEqual({ limit: 'tokens', budget: 70, used: 100 });
    expect(afterExceeded(await engine.control.events(childRunId))).toEqual(['RunFailed']);

    expect(view.status).toBe('failed');
    expect(view.budgetExceeded).toEqual({ limit: 'tokens', budget: 120, used: 150 });
    expect(view.usage).toMatchObject({ tokens: 150, nodes: 4 });
    const subFailed = events.find((e) => e.type === 'NodeFailed' && e.data.nodeId === 'sub');
    expect(subFailed?.data).toMatchObject({
      error: { code: 'CHILD_FAILED' },
      usage: { promptTokens: 60, completionTokens: 40, nodes: 2 },
    });
    expect(afterExceeded(events)).toEqual(['RunFailed']);
    expect(view.nodes.after?.status ?? 'pending').toBe('pending');
  });

  it('a wall-time budget ends a run that waits past it', async () => {
    engine = await LocalEngine.open({ home });
    const def = {
      name: 'slow',
      version: '1',
      budget: { wallMs: 300, onExceeded: 'cancel' as const },
      nodes: [
        { id: 'wait', type: 'timer', with: { durationMs: 60_000 } },
        { id: 'after', type: 'transform', with: { value: 1 } },
      ],
      edges: [{ from: 'wait', to: 'after' }],
    };
    const t0 = Date.now();
    const runId = await engine.control.start(def, {});
    const view = await engine.control.wait(runId, { timeoutMs: 10_000 });
    expect(view.status).toBe('cancelled');
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(view.budgetExceeded).toMatchObject({ limit: 'wallMs', budget: 300 });
    expect(view.budgetExceeded!.used).toBeGreaterThanOrEqual(300);
    const events = await engine.control.events(runId);
    expect(afterExceeded(events)).toEqual(['RunCancelled']);
    expect(events.some((e) => e.type === 'NodeScheduled' && e.data.nodeId === 'after')).toBe(false);
  });

  it('a node budget stops the execution past it', async () => {
    engine = await LocalEngine.open({ home });
    const def = chain;
    const runId = await engine.control.start(def, {}, { budget: { nodes: 2 } });
    const view = await engine.control.wait(runId, { timeoutMs: 10_000 });
    expect(view.status).toBe('failed');
    expect(view.budgetExceeded).toEqual({ limit: 'nodes', budget: 2, used: 3 });
    expect(view.nodes.c!.status).toBe('pending');
    const events = await engine.control.events(runId);
    expect(afterExceeded(events)).toEqual(['RunFailed']);
  });

  it('refuses a bad budget naming every problem, and stores nothing', async () => {
    engine = await LocalEngine.open({ home });
    const def = {
      name: 'one',
      version: '1',
      nodes: [{ id: 't', type: 'transform', with: { value: 1 } }],
    };
    const err = await engine.control
      .start(def, {}, { budget: { tokens: -1, wallMs: '10m', colour: 'red' }, runId: 'r-bad' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VALIDATION' });
    const problems = (err as { problems: { path: string; code: string }[] }).problems;
    expect(problems.map((p) => p.path).sort()).toEqual([
      '/budget/colour',
      '/budget/tokens',
      '/budget/wallMs',
    ]);
    expect(problems.every((p) => p.code === 'BAD_BUDGET')).toBe(true);
    expect(await engine.control.list({})).toEqual([]);
    await expect(engine.control.get('r-bad')).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
  });

  it("holds runs to their namespace's budget as it was when they started", async () => {
    engine = await LocalEngine.open({ home });
    const def = chain;
    const set = await engine.control.setNamespaceBudget(
      'default',
      { nodes: 2, tokens: 1000, onExceeded: 'cancel' },
      'root',
    );
    expect(set).toMatchObject({ namespace: 'default', setBy: 'root' });
    const capped = await engine.control.start(def, {});
    // The run's own policy wins; the smaller node limit is the namespace's.
    const own = await engine.control.start(def, {}, { budget: { nodes: 3, onExceeded: 'fail' } });
    const [v1, v2] = [await engine.control.wait(capped), await engine.control.wait(own)];
    expect(v1.status).toBe('cancelled');
    expect(v1.budget).toEqual({ nodes: 2, tokens: 1000, onExceeded: 'cancel' });
    expect(v2.status).toBe('failed');
    expect(v2.budget).toEqual({ nodes: 2, tokens: 1000, onExceeded: 'fail' });

    // A bad budget changes nothing; removing it frees later runs, not earlier ones.
    await expect(
      engine.control.setNamespaceBudget('default', { tokens: 'x', nodes: 0 }, 'root'),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
      problems: [{ path: '/budget/tokens' }, { path: '/budget/nodes' }],
    });
    expect((await engine.control.namespaceBudget('default')).budget).toEqual(set.budget);
    await engine.control.clearNamespaceBudget('default');
    await expect(engine.control.namespaceBudget('default')).rejects.toMatchObject({
      code: 'NO_BUDGET',
    });
    const free = await engine.control.wait(await engine.control.start(def, {}));
    expect(free.status).toBe('completed');
    expect(free.budget).toBeUndefined();
    expect((await engine.control.get(capped)).budget).toEqual(v1.budget);
  });
});
