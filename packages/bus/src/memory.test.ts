import { describe, expect, it } from 'vitest';
import { busConformance } from './conformance.js';
import { MemoryBus } from './memory.js';

busConformance('MemoryBus', async (opts) => new MemoryBus(opts));

describe('MemoryBus', () => {
  it('measures idle time with the injected clock', async () => {
    let now = 1_000;
    const bus = new MemoryBus({ redeliverAfterMs: 5_000, now: () => now });
    await bus.ensureGroup('g', ['t']);
    const id = await bus.publish('t', 'k', 'v');
    await bus.read({ group: 'g', consumer: 'c1', topics: ['t'] });
    now += 4_999;
    expect(await bus.read({ group: 'g', consumer: 'c2', topics: ['t'] })).toEqual([]);
    now += 1;
    const got = await bus.read({ group: 'g', consumer: 'c2', topics: ['t'] });
    expect(got.map((m) => [m.id, m.deliveries])).toEqual([[id, 2]]);
    now += 4_000;
    await bus.extend('g', 'c2', 't', [id]);
    now += 4_000;
    expect(await bus.read({ group: 'g', consumer: 'c1', topics: ['t'] })).toEqual([]);
    now += 1_000;
    expect((await bus.read({ group: 'g', consumer: 'c1', topics: ['t'] }))[0]?.deliveries).toBe(3);
  });

  it('delivers the value by reference, without copying', async () => {
    const bus = new MemoryBus();
    await bus.ensureGroup('g', ['t']);
    const value = { big: new Array(1000).fill(1) };
    await bus.publish('t', 'k', value);
    const [m] = await bus.read({ group: 'g', consumer: 'c', topics: ['t'] });
    expect(m?.value).toBe(value);
  });

  it('drops messages from memory once every group has acknowledged them', async () => {
    const bus = new MemoryBus();
    await bus.ensureGroup('a', ['t']);
    await bus.ensureGroup('b', ['t']);
    for (let i = 0; i < 5_000; i++) await bus.publish('t', 'k', i);
    const a = await bus.read({ group: 'a', consumer: 'c', topics: ['t'], count: 5_000 });
    await bus.ack(
      'a',
      't',
      a.map((m) => m.id),
    );
    expect(bus.retained('t')).toBe(5_000); // group b still needs them
    const b = await bus.read({ group: 'b', consumer: 'c', topics: ['t'], count: 4_000 });
    await bus.ack(
      'b',
      't',
      b.map((m) => m.id),
    );
    expect(bus.retained('t')).toBe(1_000);
    const rest = await bus.read({ group: 'b', consumer: 'c', topics: ['t'], count: 5_000 });
    expect(rest.map((m) => m.value)).toEqual(Array.from({ length: 1_000 }, (_, i) => 4_000 + i));
    await bus.ack(
      'b',
      't',
      rest.map((m) => m.id),
    );
    expect(bus.retained('t')).toBe(0);
  });

  it('a group created later starts at the oldest retained message', async () => {
    const bus = new MemoryBus();
    await bus.ensureGroup('a', ['t']);
    await bus.publish('t', 'k', 1);
    await bus.publish('t', 'k', 2);
    const [first] = await bus.read({ group: 'a', consumer: 'c', topics: ['t'], count: 1 });
    await bus.ack('a', 't', [first?.id as string]);
    await bus.ensureGroup('late', ['t']);
    const got = await bus.read({ group: 'late', consumer: 'c', topics: ['t'] });
    expect(got.map((m) => m.value)).toEqual([2]);
  });

  it('wakes a blocking read when a pending message becomes redeliverable', async () => {
    const bus = new MemoryBus({ redeliverAfterMs: 100 });
    await bus.ensureGroup('g', ['t']);
    const id = await bus.publish('t', 'k', 'v');
    await bus.read({ group: 'g', consumer: 'c1', topics: ['t'] });
    const started = Date.now();
    const got = await bus.read({ group: 'g', consumer: 'c2', topics: ['t'], blockMs: 5_000 });
    expect(got.map((m) => [m.id, m.deliveries])).toEqual([[id, 2]]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('wakes one blocked reader per group for each message', async () => {
    const bus = new MemoryBus();
    await bus.ensureGroup('g', ['t']);
    const readers = [1, 2, 3].map((i) =>
      bus.read({ group: 'g', consumer: `c${i}`, topics: ['t'], count: 1, blockMs: 2_000 }),
    );
    await bus.publish('t', 'k', 'a');
    await bus.publish('t', 'k', 'b');
    await bus.publish('t', 'k', 'c');
    const got = await Promise.all(readers);
    expect(got.map((ms) => ms.map((m) => m.value)).sort()).toEqual([['a'], ['b'], ['c']]);
  });

  it('ends blocked reads on close and refuses work afterwards', async () => {
    const bus = new MemoryBus();
    await bus.ensureGroup('g', ['t']);
    const reading = bus.read({ group: 'g', consumer: 'c', topics: ['t'], blockMs: 10_000 });
    await bus.close();
    expect(await reading).toEqual([]);
    await expect(bus.publish('t', 'k', 1)).rejects.toMatchObject({ code: 'BUS_CLOSED' });
  });

  it('bounds memory when one message stays pending while many flow past it', async () => {
    let now = 0;
    const bus = new MemoryBus({ redeliverAfterMs: 1_000_000, now: () => now });
    await bus.ensureGroup('g', ['t']);
    await bus.publish('t', 'stuck', 'stuck');
    await bus.read({ group: 'g', consumer: 'slow', topics: ['t'] });
    for (let i = 0; i < 20_000; i++) {
      now++;
      await bus.publish('t', 'k', i);
      const ms = await bus.read({ group: 'g', consumer: 'fast', topics: ['t'] });
      await bus.ack(
        'g',
        't',
        ms.map((m) => m.id),
      );
    }
    expect(bus.retained('t')).toBe(20_001); // the log keeps everything behind the stuck one
    now += 1_000_000;
    const [stuck] = await bus.read({ group: 'g', consumer: 'fast', topics: ['t'] });
    expect(stuck).toMatchObject({ value: 'stuck', deliveries: 2 });
    await bus.ack('g', 't', [stuck?.id as string]);
    expect(bus.retained('t')).toBe(0);
  });

  it('moves 100k messages through publish, read and ack quickly', async () => {
    const bus = new MemoryBus();
    const topics = ['high', 'low'];
    await bus.ensureGroup('g', topics);
    const started = performance.now();
    let received = 0;
    for (let batch = 0; batch < 1_000; batch++) {
      for (let i = 0; i < 100; i++) await bus.publish(topics[i % 2] as string, `run${i}`, { i });
      for (;;) {
        const ms = await bus.read({ group: 'g', consumer: 'c', topics });
        if (ms.length === 0) break;
        received += ms.length;
        await bus.ack(
          'g',
          ms[0]?.topic as string,
          ms.map((m) => m.id),
        );
      }
    }
    const elapsed = performance.now() - started;
    expect(received).toBe(100_000);
    expect(bus.retained('high') + bus.retained('low')).toBe(0);
    expect(elapsed).toBeLessThan(2_000); // typically well under 200 ms
  });
});
