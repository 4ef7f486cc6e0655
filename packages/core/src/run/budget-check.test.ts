// decide holding runs to their budgets: what the log says when a limit is crossed, and that
// nothing is scheduled after BudgetExceeded.
import { describe, expect, it } from 'vitest';
import { compile } from '../ir/compile.js';
import type { WorkflowDefinition } from '../definition/types.js';
import type { NodeUsage } from './budget.js';
import { fold } from './evolve.js';
import { Sim, SimError } from './testing/sim.js';

const task = (id: string, more: object = {}) => ({
  id,
  type: 'task' as const,
  with: { handler: 'echo' },
  ...more,
});
const chain = (ids: string[], extra: Partial<WorkflowDefinition> = {}) =>
  compile({
    name: 't',
    version: '1',
    nodes: ids.map((id) => task(id)),
    edges: ids.slice(1).map((to, i) => ({ from: ids[i]!, to })),
    ...extra,
  });
const handlers = { echo: (input: unknown) => input };

/** Runs the next job as a runner would, reporting `usage` with its success. */
function succeed(sim: Sim, usage?: NodeUsage): void {
  const job = sim.jobs.shift()!;
  sim.apply({ type: 'nodeStarted', nodeId: job.nodeId, attempt: job.attempt });
  sim.apply({
    type: 'nodeSucceeded',
    nodeId: job.nodeId,
    attempt: job.attempt,
    output: sim.put({ from: job.nodeId }),
    ...(usage ? { usage } : {}),
  });
}

const types = (sim: Sim) => sim.log.map((e) => e.type);
/** The events after BudgetExceeded: the run's end, and nothing scheduled. */
const after = (sim: Sim) => types(sim).slice(types(sim).indexOf('BudgetExceeded') + 1);

function invariants(sim: Sim): void {
  expect(fold(sim.log, sim.runId)).toEqual(sim.state);
}

describe('a token budget', () => {
  it('fails the run with BUDGET_EXCEEDED once a result crosses it, before the next node', () => {
    const sim = new Sim(chain(['a', 'b', 'c']), 'r', { handlers }).start(
      {},
      { budget: { tokens: 100 } },
    );
    succeed(sim, { promptTokens: 40, completionTokens: 20, costUsd: 0.01 });
    expect(sim.state.usage).toMatchObject({ tokens: 60, costUsd: 0.01, nodes: 2 });
    succeed(sim, { promptTokens: 50, completionTokens: 10 });
    expect(after(sim)).toEqual(['RunFailed']);
    expect(sim.log.find((e) => e.type === 'BudgetExceeded')!.data).toEqual({
      limit: 'tokens',
      budget: 100,
      used: 120,
      onExceeded: 'fail',
    });
    expect(sim.state.status).toBe('failed');
    expect(sim.state.error).toMatchObject({ code: 'BUDGET_EXCEEDED', retryable: false });
    expect(sim.state.nodes.c).toBeUndefined();
    expect(sim.jobs).toEqual([]);
    expect(sim.state.usage).toMatchObject({ promptTokens: 90, completionTokens: 30, tokens: 120 });
    expect(sim.state.budgetExceeded).toEqual({ limit: 'tokens', budget: 100, used: 120 });
    invariants(sim);
  });

  it('reached exactly is within budget', () => {
    const sim = new Sim(chain(['a', 'b']), 'r', { handlers }).start({}, { budget: { tokens: 60 } });
    succeed(sim, { promptTokens: 40, completionTokens: 20 });
    succeed(sim);
    expect(sim.state.status).toBe('completed');
    expect(types(sim)).not.toContain('BudgetExceeded');
  });

  it('cancels the run and aborts the work in flight under onExceeded: cancel', () => {
    const ir = compile({
      name: 't',
      version: '1',
      nodes: [task('a'), task('b')],
      budget: { costUsd: 0.5, onExceeded: 'cancel' },
    });
    const sim = new Sim(ir, 'r', { handlers }).start();
    expect(sim.jobs.map((j) => j.nodeId)).toEqual(['a', 'b']);
    succeed(sim, { promptTokens: 1000, completionTokens: 1000, costUsd: 0.75 });
    expect(after(sim)).toEqual(['RunCancelled']);
    expect(sim.state.status).toBe('cancelled');
    expect(sim.commands).toContainEqual({ type: 'abortJobs', runId: 'r', nodeIds: ['b'] });
    expect(sim.jobs).toEqual([]);
    // b's result, arriving late, changes nothing.
    const before = sim.log.length;
    sim.apply({ type: 'nodeSucceeded', nodeId: 'b', attempt: 1, output: sim.put(1) });
    expect(sim.log.length).toBe(before);
    invariants(sim);
  });

  it('counts map items', () => {
    const ir = compile({
      name: 't',
      version: '1',
      nodes: [
        {
          id: 'm',
          type: 'map',
          with: {
            items: '{% [1,2,3,4] %}',
            concurrency: 1,
            body: { type: 'task', with: { handler: 'echo' } },
          },
        },
      ],
      budget: { tokens: 25 },
    });
    const sim = new Sim(ir, 'r', { handlers }).start();
    const item = () => {
      const job = sim.jobs.shift()!;
      sim.apply({
        type: 'nodeSucceeded',
        nodeId: 'm',
        attempt: 1,
        iteration: job.iteration!,
        output: sim.put(job.iteration),
        usage: { promptTokens: 10, completionTokens: 0 },
      });
    };
    item();
    item();
    expect(sim.state.status).toBe('running');
    item();
    expect(after(sim)).toEqual(['RunFailed']);
    expect(sim.state.nodes.m!.map!.next).toBe(3);
    expect(sim.state.usage).toMatchObject({ tokens: 30, nodes: 3, unpriced: 3 });
    invariants(sim);
  });
});

describe('a node budget', () => {
  it('refuses the execution past it: retries count', () => {
    let calls = 0;
    const ir = compile({
      name: 't',
      version: '1',
      nodes: [task('a', { retry: { maxAttempts: 5, initialMs: 1 } }), task('b')],
      edges: [{ from: 'a', to: 'b' }],
      budget: { nodes: 3 },
    });
    const sim = new Sim(ir, 'r', {
      handlers: {
        echo: (input) => {
          if (++calls < 3) throw new SimError('FLAKY', 'not yet');
          return input;
        },
      },
    })
      .start()
      .runToRest();
    // a ran three times (two retries): b would be the fourth execution.
    expect(sim.state.usage.nodes).toBe(3);
    expect(sim.state.nodes.a!.status).toBe('succeeded');
    expect(sim.state.nodes.b).toBeUndefined();
    expect(after(sim)).toEqual(['RunFailed']);
    expect(sim.state.budgetExceeded).toEqual({ limit: 'nodes', budget: 3, used: 4 });
    invariants(sim);
  });

  it('lets a run of exactly that many finish', () => {
    const sim = new Sim(chain(['a', 'b', 'c']), 'r', { handlers })
      .start({}, { budget: { nodes: 3 } })
      .runToRest();
    expect(sim.state.status).toBe('completed');
  });
});

describe('a wall-time budget', () => {
  const ir = compile({
    name: 't',
    version: '1',
    nodes: [{ id: 'wait', type: 'timer', with: { durationMs: 60_000 } }, task('after')],
    edges: [{ from: 'wait', to: 'after' }],
    budget: { wallMs: 5_000 },
  });

  it('ends the run when its timer fires, cancelling the timers still pending', () => {
    const sim = new Sim(ir, 'r', { handlers }).start();
    const started = sim.log[0]!;
    expect(started.type === 'RunStarted' && started.data.budgetTimer).toEqual({
      timerId: 'timer-1',
      dueAt: sim.now + 5_000,
    });
    sim.runToRest();
    expect(types(sim).slice(-3)).toEqual(['TimerFired', 'BudgetExceeded', 'RunFailed']);
    expect(sim.log.at(-2)!.data).toEqual({
      limit: 'wallMs',
      budget: 5_000,
      used: 5_000,
      onExceeded: 'fail',
    });
    expect(sim.timers.size).toBe(0);
    expect(sim.state.nodes.after).toBeUndefined();
    invariants(sim);
  });

  it('is re-armed by recovery, from the log', () => {
    const sim = new Sim(ir, 'r', { handlers }).start();
    const state = fold(sim.log, 'r');
    expect(state.timers['timer-1']).toEqual({ nodeId: '', dueAt: sim.now + 5_000, kind: 'budget' });
    sim.timers.clear();
    sim.apply({ type: 'recover' });
    expect(sim.timers.get('timer-1')).toBe(sim.now + 5_000);
  });

  it('records the tightest of the definition and the run', () => {
    const sim = new Sim(ir, 'r', { handlers }).start(
      {},
      { budget: { wallMs: 60_000, tokens: 7, onExceeded: 'cancel' } },
    );
    expect(sim.state.budget).toEqual({ wallMs: 5_000, tokens: 7, onExceeded: 'cancel' });
  });
});

describe('no budget', () => {
  it('records none and still sums usage', () => {
    const sim = new Sim(chain(['a']), 'r', { handlers }).start();
    succeed(sim, { promptTokens: 1e6, completionTokens: 1e6 });
    expect(sim.state.status).toBe('completed');
    expect(sim.state.budget).toBeUndefined();
    expect(sim.state.usage.tokens).toBe(2e6);
    const started = sim.log[0]!;
    expect(started.type === 'RunStarted' && 'budget' in started.data).toBe(false);
  });
});

describe('a budget whose policy is pause', () => {
  it('holds the run once a result crosses it; raising the limit lets it go on', () => {
    const sim = new Sim(chain(['a', 'b', 'c']), 'r', { handlers }).start(
      {},
      { budget: { tokens: 100, onExceeded: 'pause' } },
    );
    succeed(sim, { promptTokens: 90, completionTokens: 20 });
    expect(after(sim)).toEqual(['RunWaiting']);
    expect(sim.log.at(-1)!.data).toEqual({ tickets: [], budget: true });
    expect(sim.state.status).toBe('waiting');
    expect(sim.jobs).toEqual([]);

    // A change that still leaves the run over its limit pauses it again.
    sim.apply({ type: 'raiseBudget', budget: { tokens: 105 }, by: 'ops' });
    expect(types(sim).slice(-3)).toEqual(['BudgetRaised', 'BudgetExceeded', 'RunWaiting']);
    expect(sim.jobs).toEqual([]);

    sim.apply({ type: 'raiseBudget', budget: { tokens: 1000 }, by: 'ops', reason: 'worth it' });
    expect(sim.log.filter((e) => e.type === 'BudgetRaised').at(-1)).toMatchObject({
      actor: 'ops',
      data: { budget: { tokens: 1000, onExceeded: 'pause' }, by: 'ops', reason: 'worth it' },
    });
    expect(sim.state.status).toBe('running');
    expect(sim.jobs.map((j) => j.nodeId)).toEqual(['b']);
    sim.runToRest();
    expect(sim.state.status).toBe('completed');
    invariants(sim);
  });

  it('lets work in flight finish while paused, and schedules what waited when raised', () => {
    const ir = compile({
      name: 't',
      version: '1',
      nodes: [task('a'), task('b'), task('a2'), task('b2')],
      edges: [
        { from: 'a', to: 'a2' },
        { from: 'b', to: 'b2' },
      ],
    });
    const sim = new Sim(ir, 'r', { handlers }).start(
      {},
      { budget: { tokens: 10, onExceeded: 'pause' } },
    );
    succeed(sim, { promptTokens: 20, completionTokens: 0 });
    expect(sim.state.status).toBe('waiting');
    succeed(sim); // b was in flight: recorded, b2 not scheduled
    expect(sim.state.nodes.b?.status).toBe('succeeded');
    expect(sim.jobs).toEqual([]);
    sim.apply({ type: 'raiseBudget', budget: { tokens: 50 }, by: 'ops' });
    expect(sim.jobs.map((j) => j.nodeId).sort()).toEqual(['a2', 'b2']);
    sim.runToRest();
    expect(sim.state.status).toBe('completed');
    invariants(sim);
  });

  it('pauses at a node limit and at the wall-time limit; a new wall time gets its own timer', () => {
    const nodes = new Sim(chain(['a', 'b', 'c']), 'r', { handlers }).start(
      {},
      { budget: { nodes: 2, onExceeded: 'pause' } },
    );
    nodes.runToRest();
    expect(nodes.state.status).toBe('waiting');
    expect(nodes.state.nodes.c?.status ?? 'pending').toBe('pending');
    nodes.apply({ type: 'raiseBudget', budget: { nodes: 3 }, by: 'ops' });
    nodes.runToRest();
    expect(nodes.state.status).toBe('completed');
    invariants(nodes);

    const wall = new Sim(chain(['a', 'b']), 'r', { handlers }).start(
      {},
      { budget: { wallMs: 1000, onExceeded: 'pause' } },
    );
    const started = wall.now;
    wall.fireNextTimer();
    expect(wall.state.budgetExceeded).toMatchObject({ limit: 'wallMs' });
    expect(wall.state.status).toBe('waiting');
    succeed(wall); // a finishes; b is held
    expect(wall.jobs).toEqual([]);
    wall.apply({ type: 'raiseBudget', budget: { wallMs: 60_000 }, by: 'ops' });
    const raised = wall.log.filter((e) => e.type === 'BudgetRaised').at(-1)!;
    expect(raised.data).toMatchObject({ budgetTimer: { dueAt: started + 60_000 } });
    expect(wall.jobs.map((j) => j.nodeId)).toEqual(['b']);
    wall.runToRest();
    expect(wall.state.status).toBe('completed');
    invariants(wall);
  });

  it('a retry whose timer fired while paused is scheduled when the budget is raised', () => {
    let calls = 0;
    const flaky = () => {
      calls += 1;
      if (calls === 1) throw new SimError('FLAKY', 'try again');
      return 'ok';
    };
    const ir = compile({
      name: 't',
      version: '1',
      nodes: [
        { id: 'spend', type: 'task', with: { handler: 'echo' } },
        {
          id: 'flaky',
          type: 'task',
          with: { handler: 'flaky' },
          retry: { maxAttempts: 3, initialMs: 10, maxMs: 10, multiplier: 1, jitter: 0 },
        },
      ],
      edges: [],
    });
    const sim = new Sim(ir, 'r', { handlers: { echo: handlers.echo, flaky } }).start(
      {},
      { budget: { tokens: 1, onExceeded: 'pause' } },
    );
    const spendJob = sim.jobs.findIndex((j) => j.nodeId === 'spend');
    sim.jobs.push(...sim.jobs.splice(spendJob, 1)); // flaky runs first and fails
    sim.step();
    succeed(sim, { promptTokens: 5, completionTokens: 0 }); // spend crosses the budget
    expect(sim.state.status).toBe('waiting');
    sim.fireNextTimer(); // the retry's timer: held
    expect(sim.jobs).toEqual([]);
    sim.apply({ type: 'raiseBudget', budget: { tokens: 100 }, by: 'ops' });
    expect(sim.jobs.map((j) => [j.nodeId, j.attempt])).toEqual([['flaky', 2]]);
    sim.runToRest();
    expect(sim.state.status).toBe('completed');
    invariants(sim);
  });
});

/** An llm node: its jobs carry what the run has left (nothing runs it in the Sim). */
const llm = (id: string, more: object = {}) => ({
  id,
  type: 'llm' as const,
  with: { model: 'fast', prompt: 'go on' },
  ...more,
});
const stopped = (usage: NodeUsage) => ({
  error: {
    code: 'BUDGET_EXCEEDED',
    message: 'stopped at what the run had left',
    retryable: false,
  },
  usage,
});

describe('a failed attempt spends too', () => {
  it('records its usage on NodeFailed; crossing the budget ends the run, with no retry', () => {
    const ir = compile({
      name: 't',
      version: '1',
      nodes: [llm('a', { retry: { maxAttempts: 5, initialMs: 1 } }), llm('b')],
      edges: [{ from: 'a', to: 'b' }],
      budget: { tokens: 100 },
    });
    const sim = new Sim(ir, 'r', { handlers }).start();
    const job = sim.jobs.shift()!;
    expect(job.budgetLeft).toEqual({ tokens: 100 });
    sim.apply({
      type: 'nodeFailed',
      nodeId: 'a',
      attempt: 1,
      error: { code: 'LLM_UNAVAILABLE', message: 'try again', retryable: true },
      usage: { promptTokens: 90, completionTokens: 30 },
    });
    expect(types(sim).slice(-3)).toEqual(['NodeFailed', 'BudgetExceeded', 'RunFailed']);
    expect(sim.log.at(-3)!.data).toMatchObject({
      final: true,
      usage: { promptTokens: 90, completionTokens: 30 },
    });
    expect(sim.log.at(-2)!.data).toEqual({
      limit: 'tokens',
      budget: 100,
      used: 120,
      onExceeded: 'fail',
    });
    expect(types(sim)).not.toContain('NodeRetryScheduled');
    expect(sim.state.error).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(sim.state.usage).toMatchObject({ tokens: 120, unpriced: 1 });
    expect(sim.jobs).toEqual([]);
    expect(sim.timers.size).toBe(0);
    invariants(sim);
  });

  it('within budget: counted, and the node goes on by its retry policy', () => {
    const ir = compile({
      name: 't',
      version: '1',
      nodes: [llm('a', { retry: { maxAttempts: 2, initialMs: 1 } })],
      budget: { tokens: 100 },
    });
    const sim = new Sim(ir, 'r', { handlers }).start();
    sim.jobs.shift();
    sim.apply({
      type: 'nodeFailed',
      nodeId: 'a',
      attempt: 1,
      error: { code: 'LLM_BAD_OUTPUT', message: 'not JSON', retryable: true },
      usage: { promptTokens: 20, completionTokens: 10, costUsd: 0.001 },
    });
    expect(types(sim).slice(-2)).toEqual(['NodeFailed', 'NodeRetryScheduled']);
    expect(sim.state.usage).toMatchObject({ tokens: 30, costUsd: 0.001 });
    sim.fireNextTimer();
    // The retry is told what is left after the failed attempt.
    expect(sim.jobs.map((j) => [j.attempt, j.budgetLeft])).toEqual([[2, { tokens: 70 }]]);
    succeed(sim, { promptTokens: 20, completionTokens: 10 });
    expect(sim.state.status).toBe('completed');
    expect(sim.state.usage.tokens).toBe(60);
    invariants(sim);
  });

  it('an attempt its runner stopped at the budget ends the run by its budget, cancel included', () => {
    const ir = compile({
      name: 't',
      version: '1',
      nodes: [llm('a'), task('b')],
      budget: { tokens: 50, costUsd: 1, onExceeded: 'cancel' },
    });
    const sim = new Sim(ir, 'r', { handlers }).start();
    expect(sim.jobs.map((j) => [j.nodeId, j.budgetLeft])).toEqual([
      ['a', { tokens: 50, costUsd: 1 }],
      ['b', undefined],
    ]);
    sim.jobs.shift();
    sim.apply({
      type: 'nodeFailed',
      nodeId: 'a',
      attempt: 1,
      ...stopped({ promptTokens: 40, completionTokens: 20, costUsd: 0.2 }),
    });
    expect(after(sim)).toEqual(['RunCancelled']);
    expect(sim.commands).toContainEqual({ type: 'abortJobs', runId: 'r', nodeIds: ['b'] });
    expect(sim.state.nodes.a!.status).toBe('failed');
    invariants(sim);
  });

  it('under pause the stopped attempt is held, and tried again once the limit is raised', () => {
    const ir = compile({
      name: 't',
      version: '1',
      nodes: [llm('a'), task('b')],
      edges: [{ from: 'a', to: 'b' }],
      budget: { tokens: 100, onExceeded: 'pause' },
    });
    const sim = new Sim(ir, 'r', { handlers }).start();
    sim.jobs.shift();
    sim.apply({
      type: 'nodeFailed',
      nodeId: 'a',
      attempt: 1,
      ...stopped({ promptTokens: 100, completionTokens: 20 }),
    });
    expect(types(sim).slice(-3)).toEqual(['NodeFailed', 'BudgetExceeded', 'RunWaiting']);
    expect(sim.log.at(-3)!.data).toMatchObject({ final: false });
    expect(sim.state.nodes.a!.status).toBe('retrying');
    expect(sim.state.status).toBe('waiting');
    expect(sim.jobs).toEqual([]);
    sim.apply({ type: 'raiseBudget', budget: { tokens: 1000 }, by: 'ops' });
    // A new attempt (the node's policy allows one only): told what is left now.
    expect(sim.jobs.map((j) => [j.nodeId, j.attempt, j.budgetLeft])).toEqual([
      ['a', 2, { tokens: 880 }],
    ]);
    succeed(sim, { promptTokens: 10, completionTokens: 10 });
    sim.runToRest();
    expect(sim.state.status).toBe('completed');
    expect(sim.state.usage.tokens).toBe(140);
    invariants(sim);
  });

  it('a stop its run no longer confirms (the limit was raised meanwhile) is retried', () => {
    const ir = compile({
      name: 't',
      version: '1',
      nodes: [llm('a', { retry: { maxAttempts: 2, initialMs: 1 } })],
      budget: { tokens: 100 },
    });
    const sim = new Sim(ir, 'r', { handlers }).start();
    sim.jobs.shift();
    sim.apply({ type: 'raiseBudget', budget: { tokens: 500 }, by: 'ops' });
    sim.apply({
      type: 'nodeFailed',
      nodeId: 'a',
      attempt: 1,
      ...stopped({ promptTokens: 100, completionTokens: 20 }),
    });
    expect(types(sim).slice(-2)).toEqual(['NodeFailed', 'NodeRetryScheduled']);
    sim.fireNextTimer();
    expect(sim.jobs.map((j) => j.budgetLeft)).toEqual([{ tokens: 380 }]);
    invariants(sim);
  });
});

describe('a child run and its parent budget', () => {
  const parent = (budget: object, onChild: object = {}) =>
    compile({
      name: 'p',
      version: '1',
      nodes: [
        llm('a'),
        { id: 'sub', type: 'subworkflow', with: { workflow: 'child@1' }, ...onChild },
        task('after'),
      ],
      edges: [
        { from: 'a', to: 'sub' },
        { from: 'sub', to: 'after' },
      ],
      budget,
    });
  const startChild = (sim: Sim) =>
    sim.commands.find((c) => c.type === 'startChild') as Extract<
      (typeof sim.commands)[number],
      { type: 'startChild' }
    >;

  it('is started with what its parent has left, by its parent policy', () => {
    const sim = new Sim(parent({ tokens: 100, costUsd: 1, nodes: 10, wallMs: 60_000 }), 'p', {
      handlers,
    }).start();
    sim.now += 1_000;
    succeed(sim, { promptTokens: 20, completionTokens: 10, costUsd: 0.25 });
    expect(startChild(sim).budget).toEqual({
      tokens: 70,
      costUsd: 0.75,
      nodes: 8, // a and sub were executions of the parent
      wallMs: 59_000,
      onExceeded: 'fail',
    });
  });

  it('a parent without a budget passes none', () => {
    const sim = new Sim(parent({}), 'p', { handlers }).start();
    succeed(sim);
    expect(startChild(sim)).not.toHaveProperty('budget');
  });

  it('the child is held to the tightest of that and its own budget, by its parent policy', () => {
    const child = compile({
      name: 'child',
      version: '1',
      nodes: [llm('x')],
      budget: { tokens: 50, wallMs: 1_000_000, onExceeded: 'pause' },
    });
    const sim = new Sim(child, 'c', { handlers }).start(
      {},
      {
        parent: { runId: 'p', nodeId: 'sub' },
        budget: { tokens: 70, nodes: 8, wallMs: 59_000, onExceeded: 'cancel' },
      },
    );
    expect(sim.state.budget).toEqual({
      tokens: 50,
      nodes: 8,
      wallMs: 59_000,
      onExceeded: 'cancel',
    });
    expect(sim.jobs[0]!.budgetLeft).toEqual({ tokens: 50 });
  });

  it('a child reports what it spent, and the limit it ended by, to its parent', () => {
    const child = compile({ name: 'child', version: '1', nodes: [llm('x'), llm('y')] });
    const sim = new Sim(child, 'c', { handlers }).start(
      {},
      { parent: { runId: 'p', nodeId: 'sub' }, budget: { tokens: 70, onExceeded: 'fail' } },
    );
    succeed(sim, { promptTokens: 30, completionTokens: 10, costUsd: 0.5 });
    succeed(sim, { promptTokens: 30, completionTokens: 10 });
    expect(sim.commands.at(-1)).toMatchObject({
      type: 'notifyParent',
      parent: { runId: 'p', nodeId: 'sub' },
      childRunId: 'c',
      status: 'failed',
      error: { code: 'BUDGET_EXCEEDED' },
      usage: {
        promptTokens: 60,
        completionTokens: 20,
        costUsd: 0.5,
        nodes: 2,
        unpriced: 1,
      },
      budgetExceeded: { limit: 'tokens', budget: 70, used: 80 },
    });
  });

  it("the child's usage counts toward the parent: crossing it ends the parent by its budget", () => {
    const sim = new Sim(parent({ tokens: 100 }, { retry: { maxAttempts: 3 } }), 'p', {
      handlers,
    }).start();
    succeed(sim, { promptTokens: 20, completionTokens: 10 });
    const { childRunId } = startChild(sim);
    sim.apply({
      type: 'childFinished',
      childRunId,
      status: 'failed',
      error: { code: 'BUDGET_EXCEEDED', message: 'the run crossed its budget', retryable: false },
      usage: { promptTokens: 60, completionTokens: 20, costUsd: 0, nodes: 2, unpriced: 2 },
      budgetExceeded: { limit: 'tokens', budget: 70, used: 80 },
    });
    expect(types(sim).slice(-3)).toEqual(['NodeFailed', 'BudgetExceeded', 'RunFailed']);
    expect(sim.log.at(-3)!.data).toMatchObject({
      nodeId: 'sub',
      final: true,
      error: { code: 'CHILD_FAILED' },
      usage: { promptTokens: 60, completionTokens: 20, nodes: 2 },
    });
    expect(sim.log.at(-2)!.data).toMatchObject({ limit: 'tokens', budget: 100, used: 110 });
    expect(sim.state.usage).toMatchObject({ tokens: 110, nodes: 4, unpriced: 3 });
    expect(sim.state.nodes.after).toBeUndefined();
    invariants(sim);
  });

  it("a completed child's usage is recorded on the node's success and summed", () => {
    const sim = new Sim(parent({ tokens: 1000, nodes: 10 }), 'p', { handlers }).start();
    succeed(sim, { promptTokens: 20, completionTokens: 10 });
    const { childRunId } = startChild(sim);
    sim.apply({
      type: 'childFinished',
      childRunId,
      status: 'completed',
      output: sim.put('done'),
      usage: { promptTokens: 60, completionTokens: 20, costUsd: 0.1, nodes: 3 },
    });
    expect(
      sim.log.find((e) => e.type === 'NodeSucceeded' && e.data.nodeId === 'sub')!.data,
    ).toMatchObject({ usage: { promptTokens: 60, nodes: 3 } });
    sim.runToRest();
    expect(sim.state.status).toBe('completed');
    expect(sim.state.usage).toMatchObject({ tokens: 110, costUsd: 0.1, nodes: 6 });
    invariants(sim);
  });

  it('a child that used up the node executions it inherited ends its parent by the node limit', () => {
    const sim = new Sim(parent({ nodes: 5 }), 'p', { handlers }).start();
    succeed(sim);
    const { childRunId, budget } = startChild(sim);
    expect(budget).toEqual({ nodes: 3, onExceeded: 'fail' });
    sim.apply({
      type: 'childFinished',
      childRunId,
      status: 'failed',
      error: { code: 'BUDGET_EXCEEDED', message: 'the run crossed its budget', retryable: false },
      usage: { promptTokens: 0, completionTokens: 0, costUsd: 0, nodes: 3 },
      budgetExceeded: { limit: 'nodes', budget: 3, used: 4 },
    });
    expect(types(sim).slice(-2)).toEqual(['BudgetExceeded', 'RunFailed']);
    expect(sim.log.at(-2)!.data).toMatchObject({ limit: 'nodes', budget: 5, used: 6 });
    invariants(sim);
  });

  it("a child that crossed a tighter limit of its own fails only its node (the parent's failure edge)", () => {
    const ir = compile({
      name: 'p',
      version: '1',
      nodes: [{ id: 'sub', type: 'subworkflow', with: { workflow: 'child@1' } }, task('fallback')],
      edges: [{ from: 'sub', to: 'fallback', on: 'failure' }],
      budget: { tokens: 1000 },
    });
    const sim = new Sim(ir, 'p', { handlers }).start();
    const { childRunId } = startChild(sim);
    sim.apply({
      type: 'childFinished',
      childRunId,
      status: 'failed',
      error: { code: 'BUDGET_EXCEEDED', message: 'the run crossed its budget', retryable: false },
      usage: { promptTokens: 40, completionTokens: 20, costUsd: 0, nodes: 1 },
      budgetExceeded: { limit: 'tokens', budget: 50, used: 60 },
    });
    sim.runToRest();
    expect(types(sim)).not.toContain('BudgetExceeded');
    expect(sim.state.status).toBe('completed');
    expect(sim.state.nodes.fallback!.status).toBe('succeeded');
    expect(sim.state.usage.tokens).toBe(60);
    invariants(sim);
  });
});
