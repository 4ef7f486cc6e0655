import { describe, expect, it } from 'vitest';
import { MemoryBus } from '@aob/bus';
import type { OutboxStore, TimerStore } from '@aob/store';
import { OutboxRelay } from './outbox-relay.js';

/** The outbox calls the relay makes, recorded (the PostgreSQL outbox itself: pg.int.test.ts). */
function recordingOutbox() {
  const marks: string[][] = [];
  const outbox = {
    claimOutbox: async () => [],
    markSent: async () => undefined,
    markSentByClaims: async (tokens: readonly string[]) => {
      marks.push([...tokens]);
    },
    countUnsentOutbox: async () => 0,
  } as unknown as OutboxStore;
  return { outbox, marks };
}

const noTimers = {} as TimerStore;
const row = (key: string) => ({ topic: 'aob.test', key, value: { key } });

describe('OutboxRelay', () => {
  it("publishes a decision's claimed rows at once and marks the claims of a short while in one statement", async () => {
    const bus = new MemoryBus();
    const { outbox, marks } = recordingOutbox();
    const relay = new OutboxRelay({ outbox, timers: noTimers, bus, owner: 'o', markEveryMs: 250 });
    try {
      await bus.ensureGroup('g', ['aob.test']);
      relay.publishClaimed('t1', [row('a')]);
      relay.publishClaimed('t2', [row('b'), row('c')]);
      await new Promise((r) => setTimeout(r, 5));
      relay.publishClaimed('t3', [row('d')]);
      const got = await bus.read({ group: 'g', consumer: 'c', topics: ['aob.test'], count: 10 });
      expect(got.map((m) => m.key)).toEqual(['a', 'b', 'c', 'd']);
      expect(marks).toEqual([]); // published, not yet marked
      await new Promise((r) => setTimeout(r, 400));
      expect(marks).toEqual([['t1', 't2', 't3']]);
      relay.publishClaimed('t4', [row('e')]);
      await relay.idle(); // does not wait out the window: marks at once
      expect(marks).toEqual([['t1', 't2', 't3'], ['t4']]);
    } finally {
      await relay.stop();
      await bus.close();
    }
  });

  it('marks what it published before it stops', async () => {
    const bus = new MemoryBus();
    const { outbox, marks } = recordingOutbox();
    const relay = new OutboxRelay({
      outbox,
      timers: noTimers,
      bus,
      owner: 'o',
      markEveryMs: 10_000,
    });
    relay.publishClaimed('t1', [row('a')]);
    await relay.stop();
    expect(marks).toEqual([['t1']]);
    await bus.close();
  });
});
