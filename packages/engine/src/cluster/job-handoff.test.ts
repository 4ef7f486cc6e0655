// Jobs handed between an orchestrator's outbox relay and a runner of the same process
// (job-handoff.ts): what goes over the bus and what does not, when a decision's claim is marked
// sent, that it is renewed meanwhile, and that a job the runner gives back still goes out. The
// whole path on PostgreSQL and Redis: handoff.int.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeJob } from '@aob/core';
import { Topic } from '@aob/core';
import type { BusMessage } from '@aob/bus';
import { MemoryBus } from '@aob/bus';
import type { OutboxStore, TimerStore } from '@aob/store';
import { MemoryContentStore } from '@aob/store';
import type { TaskHandler } from '../executors/types.js';
import { Runner } from '../runner/runner.js';
import type { ResultMessage } from '../runner/runner.js';
import { nodeJob } from '../testing/node-job.js';
import type { HandedJobEnd } from './job-handoff.js';
import { JobHandoff } from './job-handoff.js';
import { OutboxRelay } from './outbox-relay.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, ms = 3_000): Promise<void> {
  for (const end = Date.now() + ms; !check();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** The outbox calls the relay makes, recorded. */
function recordingOutbox() {
  const marks: string[][] = [];
  const renewals: { tokens: string[]; leaseMs: number }[] = [];
  const outbox = {
    claimOutbox: async () => [],
    markSent: async () => undefined,
    markSentByClaims: async (tokens: readonly string[]) => {
      marks.push([...tokens]);
    },
    renewClaims: async (tokens: readonly string[], leaseMs: number) => {
      renewals.push({ tokens: [...tokens], leaseMs });
    },
    countUnsentOutbox: async () => 0,
  } as unknown as OutboxStore;
  return { outbox, marks, renewals };
}

const jobRow = (runId: string) => ({
  topic: Topic.jobsMedium,
  key: runId,
  value: nodeJob(runId),
});
const eventRow = (runId: string) => ({ topic: 'aob.test', key: runId, value: { runId } });

/** A runner stand-in: takes jobs while it has room and lets the test end them. */
function fakeTaker(room: number) {
  const taken: { message: BusMessage; ended: (how: HandedJobEnd) => void }[] = [];
  return {
    taken,
    take(message: BusMessage, ended: (how: HandedJobEnd) => void) {
      if (taken.length >= room) return false;
      taken.push({ message, ended });
      return true;
    },
  };
}

async function keysOn(bus: MemoryBus, group: string): Promise<string[]> {
  const got = await bus.read({
    group,
    consumer: 'c',
    topics: [Topic.jobsMedium, 'aob.test'],
    count: 50,
  });
  return got.map((m) => `${m.topic === 'aob.test' ? 'event' : 'job'}:${m.key}`);
}

const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

describe('the outbox relay with a runner in its process', () => {
  async function relayWith(room: number) {
    const bus = new MemoryBus();
    await bus.ensureGroup('watch', [Topic.jobsMedium, 'aob.test']);
    const recorded = recordingOutbox();
    const handoff = new JobHandoff();
    const taker = fakeTaker(room);
    handoff.attachRunner(taker);
    handoff.attachResults({ apply: async () => true });
    const relay = new OutboxRelay({
      outbox: recorded.outbox,
      timers: {} as TimerStore,
      bus,
      owner: 'o',
      markEveryMs: 5,
      leaseMs: 90,
      handoff,
    });
    closing.push(async () => {
      await relay.stop();
      await bus.close();
    });
    return { bus, relay, taker, handoff, ...recorded };
  }

  it('hands jobs to the runner, publishes the rest, and marks the claim once the jobs are over', async () => {
    const { bus, relay, taker, marks } = await relayWith(10);
    relay.publishClaimed('t1', [jobRow('r1'), eventRow('r1'), jobRow('r2')]);
    await until('two jobs taken', () => taker.taken.length === 2);
    expect(taker.taken.map((t) => (t.message.value as NodeJob).runId)).toEqual(['r1', 'r2']);
    expect(await keysOn(bus, 'watch')).toEqual(['event:r1']); // no job on the bus
    await sleep(30);
    expect(marks).toEqual([]); // jobs in hand: not marked
    taker.taken[0]!.ended('done');
    await sleep(30);
    expect(marks).toEqual([]); // one still in hand
    taker.taken[1]!.ended('done');
    await until('the claim marked', () => marks.length === 1);
    expect(marks).toEqual([['t1']]);
    expect(await keysOn(bus, 'watch')).toEqual([]);
    expect(relay.counters.handed).toBe(2);
  });

  it("renews a claim while its jobs are in hand, and stops renewing once they're over", async () => {
    const { relay, taker, renewals } = await relayWith(10);
    relay.publishClaimed('t1', [jobRow('r1')]);
    await until('the job taken', () => taker.taken.length === 1);
    await until('two renewals', () => renewals.length >= 2, 2_000);
    expect(renewals[0]).toEqual({ tokens: ['t1'], leaseMs: 90 });
    taker.taken[0]!.ended('done');
    await sleep(20);
    const seen = renewals.length;
    await sleep(150);
    expect(renewals.length).toBe(seen);
  });

  it('publishes a job the runner gave back before it marks the claim', async () => {
    const { bus, relay, taker, marks } = await relayWith(10);
    relay.publishClaimed('t1', [jobRow('r1')]);
    await until('the job taken', () => taker.taken.length === 1);
    taker.taken[0]!.ended('returned');
    await until('the claim marked', () => marks.length === 1);
    expect(await keysOn(bus, 'watch')).toEqual(['job:r1']);
  });

  it('publishes the jobs a full runner does not take, at once', async () => {
    const { bus, relay, taker, marks } = await relayWith(1);
    relay.publishClaimed('t1', [jobRow('r1'), jobRow('r2')]);
    await until('one job taken', () => taker.taken.length === 1);
    await until('the other published', () => relay.counters.published === 1);
    expect(await keysOn(bus, 'watch')).toEqual(['job:r2']);
    expect(marks).toEqual([]);
    taker.taken[0]!.ended('done');
    await until('the claim marked', () => marks.length === 1);
  });

  it('hands nothing while no result consumer is attached', async () => {
    const { bus, relay, taker, handoff } = await relayWith(10);
    handoff.attachResults({ apply: async () => true })(); // attached, then withdrawn
    relay.publishClaimed('t1', [jobRow('r1')]);
    await until('published', () => relay.counters.published === 1);
    expect(taker.taken).toEqual([]);
    expect(await keysOn(bus, 'watch')).toEqual(['job:r1']);
  });
});

describe('a runner taking jobs from its process', () => {
  async function runnerWith(handler: TaskHandler, apply: (result: ResultMessage) => boolean) {
    const bus = new MemoryBus();
    await bus.ensureGroup('watch', [Topic.results]);
    const handoff = new JobHandoff();
    const applied: ResultMessage[] = [];
    handoff.attachResults({
      apply: async (_runId, result) => {
        applied.push(result as ResultMessage);
        return apply(result as ResultMessage);
      },
    });
    const runner = new Runner({
      bus,
      content: new MemoryContentStore(),
      options: { handlers: { work: handler }, allowPrivateNetwork: false },
      concurrency: 2,
      consumer: 'r1',
      handoff,
    });
    await runner.start();
    closing.push(async () => {
      const stopped = runner.stop();
      await bus.close();
      await stopped;
    });
    const offer = (runId: string) => {
      const ends: HandedJobEnd[] = [];
      const message: BusMessage = {
        id: `handoff:${runId}`,
        topic: Topic.jobsMedium,
        key: runId,
        value: nodeJob(runId),
        headers: {},
        deliveries: 1,
      };
      const taken = handoff.offer(message, (how) => ends.push(how));
      return { taken, ends };
    };
    const onBus = async () =>
      (await bus.read({ group: 'watch', consumer: 'c', topics: [Topic.results], count: 50 })).map(
        (m) => (m.value as ResultMessage).kind,
      );
    return { runner, bus, applied, offer, onBus };
  }

  it("runs the job and gives its result to the process's orchestrator, none on the bus", async () => {
    const h = await runnerWith(
      (input) => ({ got: input }),
      () => true,
    );
    const { taken, ends } = h.offer('r1');
    expect(taken).toBe(true);
    await until('the job over', () => ends.length === 1);
    expect(ends).toEqual(['done']);
    expect(h.applied.map((r) => [r.runId, r.kind])).toEqual([['r1', 'succeeded']]);
    expect(await h.onBus()).toEqual([]);
  });

  it('publishes the result on the bus when the orchestrator cannot apply it', async () => {
    const h = await runnerWith(
      () => 'ok',
      () => false,
    );
    const { ends } = h.offer('r1');
    await until('the job over', () => ends.length === 1);
    expect(ends).toEqual(['done']);
    expect(await h.onBus()).toEqual(['succeeded']);
  });

  it('takes no more than its free slots', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const h = await runnerWith(
      async () => {
        await gate;
        return 'ok';
      },
      () => true,
    );
    const offers = ['r1', 'r2', 'r3'].map((r) => h.offer(r));
    expect(offers.map((o) => o.taken)).toEqual([true, true, false]);
    release();
    await until('both over', () => offers[0]!.ends.length + offers[1]!.ends.length === 2);
    expect(offers[2]!.ends).toEqual([]); // not taken: never ended
  });

  it('gives back a job it aborts on a stop, to go out on the bus', async () => {
    const h = await runnerWith(
      (_input, ctx) =>
        new Promise((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
        ),
      () => true,
    );
    const { ends } = h.offer('r1');
    await sleep(20);
    const stopped = h.runner.stop();
    await h.bus.close();
    await stopped;
    expect(ends).toEqual(['returned']);
    expect(h.applied.filter((r) => r.kind !== 'started')).toEqual([]);
  });
});
