// The stall watchdog's trigger: an attempt in flight past its deadline (its progress mark, its
// timeout, the grace) is sent again, for the same attempt, with an event saying so; anything else
// is left alone.
import { describe, expect, it } from 'vitest';
import { compile } from '../ir/compile.js';
import { fold } from './evolve.js';
import { Sim } from './testing/sim.js';

const GRACE = 5_000;

describe('decide: redrive', () => {
  const ir = compile({
    name: 'w',
    version: '1',
    nodes: [
      { id: 'a', type: 'task', with: { handler: 'echo' }, timeoutMs: 10_000 },
      {
        id: 'm',
        type: 'map',
        with: {
          items: '{% [1, 2, 3] %}',
          concurrency: 3,
          body: { type: 'task', with: { handler: 'echo' }, timeoutMs: 2_000 },
        },
      },
    ],
    edges: [{ from: 'a', to: 'm' }],
  });
  const echo = { echo: (input: unknown) => input };

  it('re-sends an attempt only once it is past its deadline, and restarts the deadline', () => {
    const sim = new Sim(ir, 'r', { handlers: echo }).start({});
    const job = sim.jobs.shift()!;
    sim.apply({ type: 'nodeStarted', nodeId: 'a', attempt: 1 });
    sim.now += 10_000 + GRACE - 1;
    expect(sim.apply({ type: 'redrive', graceMs: GRACE })).toEqual([]);
    sim.now += 1_001;
    const events = sim.apply({ type: 'redrive', graceMs: GRACE });
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['NodeRedispatched', { nodeId: 'a', attempt: 1, overdueMs: 1_000 }],
    ]);
    expect(sim.jobs).toEqual([job]); // the same job: same attempt, same input
    expect(sim.apply({ type: 'redrive', graceMs: GRACE })).toEqual([]);
    expect(fold(sim.log, 'r')).toEqual(sim.state);
  });

  it('re-sends just the overdue items of a map, by their own timeout', () => {
    const sim = new Sim(ir, 'r', { handlers: echo }).start({});
    sim.step(); // a succeeds; three items go out
    expect(sim.jobs.map((j) => j.iteration)).toEqual([0, 1, 2]);
    sim.jobs.splice(0);
    sim.apply({ type: 'nodeSucceeded', nodeId: 'm', iteration: 1, attempt: 1, output: sim.put(2) });
    sim.now += 2_000 + GRACE;
    const events = sim.apply({ type: 'redrive', graceMs: GRACE });
    expect(events.map((e) => e.data)).toEqual([
      { nodeId: 'm', iteration: 0, attempt: 1, overdueMs: 0 },
      { nodeId: 'm', iteration: 2, attempt: 1, overdueMs: 0 },
    ]);
    expect(sim.jobs.map((j) => [j.nodeId, j.iteration, j.attempt])).toEqual([
      ['m', 0, 1],
      ['m', 2, 1],
    ]);
    while (sim.step());
    expect(sim.state.status).toBe('completed');
    expect(fold(sim.log, 'r')).toEqual(sim.state);
  });

  it('changes nothing on a run that is over', () => {
    const sim = new Sim(ir, 'r', { handlers: echo }).start({});
    while (sim.step());
    expect(sim.state.status).toBe('completed');
    sim.now += 1_000_000;
    expect(sim.apply({ type: 'redrive', graceMs: 0 })).toEqual([]);
  });
});
