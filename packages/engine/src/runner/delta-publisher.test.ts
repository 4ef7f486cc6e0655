// The runner's side of live text: pushing a delta never waits for the bus, a slow bus costs the
// oldest deltas (never the newest, never the job), and a run's deltas go out in order.
import { describe, expect, it } from 'vitest';
import type { NodeDelta } from '@aob/client';
import { Topic } from '@aob/core';
import { DeltaPublisher } from './delta-publisher.js';

const delta = (n: number): NodeDelta => ({
  runId: 'run_a',
  nodeId: 'ask',
  attempt: 1,
  delta: `w${n} `,
  at: n,
});

/** A bus whose publishes wait until released, recording what they were given. */
function slowBus() {
  const published: { topic: string; key: string; value: NodeDelta }[] = [];
  let release!: () => void;
  let gate = new Promise<void>((r) => (release = r));
  return {
    published,
    open: () => {
      release();
      gate = Promise.resolve();
    },
    bus: {
      publish: async (topic: string, key: string, value: unknown) => {
        await gate;
        published.push({ topic, key, value: value as NodeDelta });
        return String(published.length);
      },
    },
  };
}

describe('DeltaPublisher', () => {
  it('never waits for a stuck bus; keeps the newest deltas, in order, once it moves again', async () => {
    const slow = slowBus();
    const deltas = new DeltaPublisher({ bus: slow.bus, capacity: 100 });
    const started = performance.now();
    for (let n = 1; n <= 10_000; n++) deltas.push(delta(n));
    // 10 000 pushes against a bus that answers nothing: synchronous, bounded work.
    expect(performance.now() - started).toBeLessThan(1_000);
    // The first delta went out at once (its publish is waiting); the queue kept the newest 100.
    expect(deltas.counters.dropped).toBe(10_000 - 1 - 100);
    slow.open();
    await deltas.idle();
    expect(slow.published.map((p) => p.value.at)).toEqual([
      1,
      ...Array.from({ length: 100 }, (_, i) => 9_901 + i),
    ]);
    expect(new Set(slow.published.map((p) => `${p.topic} ${p.key}`))).toEqual(
      new Set([`${Topic.deltas} run_a`]),
    );
    expect(deltas.counters.published).toBe(101);
  });

  it('reports a failed publish and carries on with the deltas after it', async () => {
    let fail = true;
    const sent: number[] = [];
    const errors: unknown[] = [];
    const deltas = new DeltaPublisher({
      bus: {
        publish: async (_t, _k, value) => {
          if (fail) throw new Error('broker gone');
          sent.push((value as NodeDelta).at);
          return '1';
        },
      },
      onError: (err) => errors.push(err),
    });
    deltas.push(delta(1));
    await deltas.idle();
    fail = false;
    deltas.push(delta(2));
    await deltas.idle();
    expect(sent).toEqual([2]);
    expect(errors).toHaveLength(1);
    expect(deltas.counters).toEqual({ published: 1, dropped: 0, failed: 1 });
  });

  it('on close, waits for the publish in flight only, and takes nothing after', async () => {
    const slow = slowBus();
    const deltas = new DeltaPublisher({ bus: slow.bus });
    deltas.push(delta(1));
    deltas.push(delta(2));
    const closed = deltas.close();
    slow.open();
    await closed;
    deltas.push(delta(3));
    await deltas.idle();
    expect(slow.published.map((p) => p.value.at)).toEqual([1]);
    expect(deltas.counters).toEqual({ published: 1, dropped: 1, failed: 0 });
  });

  it('sends batches through `send` (a runner outside the cluster posts them to the API)', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const deltas = new DeltaPublisher({
      send: async (batch) => {
        batches.push(batch.map((d) => d.at));
        if (batches.length === 1) await gate;
      },
    });
    deltas.push(delta(1));
    deltas.push(delta(2));
    deltas.push(delta(3));
    release();
    await deltas.idle();
    // The first went alone; the two pushed while it was in flight went together, in order.
    expect(batches).toEqual([[1], [2, 3]]);
    expect(() => new DeltaPublisher({})).toThrow(/exactly one of bus and send/);
  });
});
