// A run's start delivered again (the cluster's start command redelivered, or applied by a second
// orchestrator after a rebalance) changes nothing: the orchestrator does not look the run up
// first, so the guard on the run's first append and the refold after it must carry it.
import { describe, expect, it } from 'vitest';
import type { IR } from '@aob/core';
import { compileCached } from '@aob/core';
import { MemoryBus } from '@aob/bus';
import { MemoryContentStore, MemoryEventStore } from '@aob/store';
import { testOrchestrator } from '../test-support/orchestrators.js';
import type { Orchestrator } from './orchestrator.js';

const ONE_TASK = compileCached({
  name: 'one-task',
  version: '1',
  nodes: [{ id: 'a', type: 'task', with: { handler: 'h' } }],
});

function orchestrators(n: number) {
  const events = new MemoryEventStore();
  const content = new MemoryContentStore();
  const bus = new MemoryBus();
  const irs = new Map<string, IR>([[ONE_TASK.irHash, ONE_TASK]]);
  const make = () => testOrchestrator({ events, content, bus, loadIr: async (h) => irs.get(h)! });
  return { events, content, all: Array.from({ length: n }, make) };
}

const types = async (events: MemoryEventStore, runId: string) =>
  (await events.read(runId)).map((e) => e.type);

describe('a run started again', () => {
  it('changes nothing on the orchestrator that holds it', async () => {
    const { events, all } = orchestrators(1);
    const [a] = all as [Orchestrator];
    await a.start(ONE_TASK, {}, { runId: 'run_again1' });
    const before = await a.state('run_again1');
    await a.start(ONE_TASK, {}, { runId: 'run_again1' });
    expect(await types(events, 'run_again1')).toEqual(['RunStarted', 'NodeScheduled']);
    // The live slot, not a fresh one, answers: the same state object.
    expect(await a.state('run_again1')).toBe(before);
  });

  it('changes nothing on another orchestrator, which takes the run up from its log', async () => {
    const { events, content, all } = orchestrators(2);
    const [a, b] = all as [Orchestrator, Orchestrator];
    await a.start(ONE_TASK, {}, { runId: 'run_again2' });
    await b.start(ONE_TASK, {}, { runId: 'run_again2' });
    expect(await types(events, 'run_again2')).toEqual(['RunStarted', 'NodeScheduled']);
    // b's state is the log's, so the run goes on there.
    await b.trigger('run_again2', { type: 'nodeStarted', nodeId: 'a', attempt: 1 });
    const output = await content.put('done');
    await b.trigger('run_again2', { type: 'nodeSucceeded', nodeId: 'a', attempt: 1, output });
    expect(await types(events, 'run_again2')).toEqual([
      'RunStarted',
      'NodeScheduled',
      'NodeStarted',
      'NodeSucceeded',
      'RunCompleted',
    ]);
  });

  it('leaves no slot behind for a run that has ended', async () => {
    const { events, content, all } = orchestrators(2);
    const [a, b] = all as [Orchestrator, Orchestrator];
    await a.start(ONE_TASK, {}, { runId: 'run_again3' });
    await a.trigger('run_again3', { type: 'nodeStarted', nodeId: 'a', attempt: 1 });
    const output = await content.put('done');
    await a.trigger('run_again3', { type: 'nodeSucceeded', nodeId: 'a', attempt: 1, output });
    await b.start(ONE_TASK, {}, { runId: 'run_again3' });
    expect((await types(events, 'run_again3')).at(-1)).toBe('RunCompleted');
    expect(b.loadedRuns).toBe(0);
  });
});
