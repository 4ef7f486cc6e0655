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
