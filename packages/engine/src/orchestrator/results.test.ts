// The result consumer retries a run's failed decision in this process, soon, instead of leaving
// its results to the bus's idle redelivery (which here is set to a minute, so it cannot be why
// the run goes on). The store fails its next appends on purpose: a PostgreSQL restart, in short.
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyNewEvent, IR } from '@aob/core';
import { AobError, compileCached } from '@aob/core';
import { MemoryBus } from '@aob/bus';
import { MemoryContentStore, MemoryEventStore } from '@aob/store';
import { newId } from '../app/ids.js';
import { Runner } from '../runner/runner.js';
import { Orchestrator } from './orchestrator.js';
import { ResultConsumer } from './results.js';

/** A memory event store whose next `failures` appends throw, as a store that went away would. */
class FlakyEventStore extends MemoryEventStore {
  failures = 0;
  override async append(
    runId: string,
    irHash: string,
    expectedSeq: number,
    events: readonly AnyNewEvent[],
  ) {
    if (this.failures > 0) {
      this.failures--;
      throw new AobError('STORE_UNAVAILABLE', 'connection terminated', { retryable: true });
    }
    return super.append(runId, irHash, expectedSeq, events);
  }
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

describe('ResultConsumer', () => {
  it('retries a failed decision with backoff, well before the bus would redeliver', async () => {
    const events = new FlakyEventStore();
    const content = new MemoryContentStore();
    const bus = new MemoryBus({ redeliverAfterMs: 60_000 });
    const irs = new Map<string, IR>();
    const orchestrator = new Orchestrator({
      events,
      content,
      bus,
      now: Date.now,
      random: Math.random,
      newId,
      loadIr: async (h) => irs.get(h)!,
      resolveWorkflow: async () => {
        throw new Error('no subworkflows here');
      },
    });
    const errors: unknown[] = [];
    const consumer = new ResultConsumer(bus, orchestrator, 'c1', 'orchestrators', (e) =>
      errors.push(e),
    );
    const runner = new Runner({
      bus,
      content,
      options: { handlers: { noop: () => null }, allowPrivateNetwork: false },
      concurrency: 4,
      consumer: 'r1',
    });
    await consumer.start();
    await runner.start();
    stops.push(
      async () => bus.close(),
      () => consumer.stop(),
      () => runner.stop(),
    );

    const ir = compileCached({
      name: 'one',
      version: '1',
      nodes: [{ id: 'a', type: 'task', with: { handler: 'noop' } }],
    });
    irs.set(ir.irHash, ir);
    await content.put(ir.definition);
    const t0 = Date.now();
    await orchestrator.start(ir, {}, { runId: 'run-1' });
    // The job is on the bus; the decisions on the runner's results are the ones that fail.
    events.failures = 3;
    for (;;) {
      const run = await events.getRun('run-1');
      if (run?.status === 'completed') break;
      if (Date.now() - t0 > 10_000)
        throw new Error(`run is ${run?.status ?? 'missing'} after 10 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(Date.now() - t0).toBeLessThan(10_000); // the bus would redeliver after 60 s
    expect(events.failures).toBe(0);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => (e as AobError).code === 'STORE_UNAVAILABLE')).toBe(true);
    const types = (await events.read('run-1')).map((e) => e.type);
    expect(types.filter((t) => t === 'NodeSucceeded')).toHaveLength(1);
    expect(types.at(-1)).toBe('RunCompleted');
  }, 15_000);
});

describe('ResultConsumer.apply (results handed over in process)', () => {
  /** An orchestrator stand-in: records each decision's triggers; a decision takes `ms`. */
  function recorder(ms: number) {
    const decisions: string[][] = [];
    const orchestrator = {
      triggerMany: async (_runId: string, triggers: readonly { nodeId?: string }[]) => {
        decisions.push(triggers.map((t) => t.nodeId ?? '?'));
        await new Promise((r) => setTimeout(r, ms));
      },
    } as unknown as Orchestrator;
    return { orchestrator, decisions };
  }
  const result = (nodeId: string) => ({
    runId: 'r1',
    nodeId,
    attempt: 1,
    kind: 'failed',
    error: { code: 'X', message: 'x' },
  });

  it("decides one run's results of a burst together, and those that come meanwhile next", async () => {
    const { orchestrator, decisions } = recorder(30);
    const consumer = new ResultConsumer(new MemoryBus(), orchestrator, 'c');
    const first = ['a', 'b', 'c'].map((n) => consumer.apply('r1', result(n), {}));
    await new Promise((r) => setTimeout(r, 10)); // the first decision is being made
    const second = ['d', 'e'].map((n) => consumer.apply('r1', result(n), {}));
    expect(await Promise.all([...first, ...second])).toEqual([true, true, true, true, true]);
    expect(decisions).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
  });

  it('says no once stopping, so the result goes on the bus', async () => {
    const { orchestrator, decisions } = recorder(0);
    const consumer = new ResultConsumer(new MemoryBus(), orchestrator, 'c');
    await consumer.stop();
    expect(await consumer.apply('r1', result('a'), {})).toBe(false);
    expect(decisions).toEqual([]);
  });
});
