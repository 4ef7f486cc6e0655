// Two orchestrators decide one run, as they do in the cluster when a rebalance moves a run's
// messages from one to the other: the first keeps a folded state in memory that the second's
// decisions have left behind. A result that the stale state takes for a duplicate must still get
// its event (found by a repeated-kill test: runs stuck after `NodeScheduled … attempt 2`, their
// results acknowledged with nothing written).
import { describe, expect, it } from 'vitest';
import type { IR } from '@aob/core';
import { compileCached, fold } from '@aob/core';
import { MemoryBus } from '@aob/bus';
import { MemoryContentStore, MemoryEventStore } from '@aob/store';
import { testOrchestrator } from '../test-support/orchestrators.js';
import type { Orchestrator } from './orchestrator.js';

function orchestrators(n: number) {
  const events = new MemoryEventStore();
  const content = new MemoryContentStore();
  const bus = new MemoryBus();
  const irs = new Map<string, IR>();
  let clock = 1_000;
  const make = () =>
    testOrchestrator({ events, content, bus, now: () => clock, loadIr: async (h) => irs.get(h)! });
  return {
    events,
    content,
    irs,
    all: Array.from({ length: n }, make),
    tick: (ms: number) => (clock += ms),
  };
}

const FLAKY = compileCached({
  name: 'flaky',
  version: '1',
  nodes: [
    {
      id: 'a',
      type: 'task',
      with: { handler: 'h' },
      retry: { maxAttempts: 3, initialMs: 10, multiplier: 1, maxMs: 10 },
    },
  ],
});

describe('Orchestrator on a state behind the log', () => {
  it('applies a result its stale state takes for a stale attempt', async () => {
    const { events, content, irs, all, tick } = orchestrators(2);
    const [a, b] = all as [Orchestrator, Orchestrator];
    irs.set(FLAKY.irHash, FLAKY);
    await content.put(FLAKY.definition);
    const runId = 'run_stale1';
    await a.start(FLAKY, {}, { runId });
    await a.trigger(runId, { type: 'nodeStarted', nodeId: 'a', attempt: 1 });
    const failure = { code: 'BOOM', message: 'first attempt fails', retryable: true };
    await a.trigger(runId, { type: 'nodeFailed', nodeId: 'a', attempt: 1, error: failure });
    // a's state: attempt 1 failed, a retry timer pending. b takes the run over from here.
    const timerId = Object.keys((await a.state(runId))!.timers)[0]!;
    tick(50);
    await b.trigger(runId, { type: 'timerFired', timerId });
    await b.trigger(runId, { type: 'nodeStarted', nodeId: 'a', attempt: 2 });
    // The run's messages move back to a, whose state still ends at the retry.
    expect((await a.state(runId))!.nodes.a!.attempt).toBe(1);
    const out = await content.put({ ok: true });
    await a.trigger(runId, { type: 'nodeSucceeded', nodeId: 'a', attempt: 2, output: out });

    const log = await events.read(runId);
    expect(log.map((e) => e.type).slice(-2)).toEqual(['NodeSucceeded', 'RunCompleted']);
    expect(fold(log, runId).status).toBe('completed');
  });

  it('drops runs left idle, and folds them again on their next trigger', async () => {
    const { content, irs, all, tick } = orchestrators(1);
    const [a] = all as [Orchestrator];
    irs.set(FLAKY.irHash, FLAKY);
    await content.put(FLAKY.definition);
    await a.start(FLAKY, {}, { runId: 'run_idle1' });
    expect(a.loadedRuns).toBe(1);
    expect(await a.forgetIdle(60_000)).toBe(0);
    tick(60_000);
    expect(await a.forgetIdle(60_000)).toBe(1);
    expect(a.loadedRuns).toBe(0);
    await a.trigger('run_idle1', { type: 'nodeStarted', nodeId: 'a', attempt: 1 });
    expect((await a.state('run_idle1'))!.nodes.a!.status).toBe('running');
  });
});
