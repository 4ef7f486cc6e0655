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
