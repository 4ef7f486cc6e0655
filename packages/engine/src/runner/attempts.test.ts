// Runners sharing an attempt ledger execute each node attempt once, however often its job is
// delivered: a job sent twice (an outbox resend), a job delivered again after its attempt
// finished (offsets not committed before a crash or a rebalance), a job delivered to a second
// runner while the first still runs it (a rebalance when a runner joins). And a graceful stop
// lets the jobs in hand finish instead of leaving them to run again elsewhere.
import { Topic } from '@aob/core';
import { MemoryBus } from '@aob/bus';
import { MemoryAttemptLedger, MemoryContentStore } from '@aob/store';
import { afterEach, describe, expect, it } from 'vitest';
import type { ResultMessage } from './runner.js';
import { Runner } from './runner.js';
import { nodeJob } from '../testing/node-job.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const job = nodeJob;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function cluster(n: number, workMs: number, stopGraceMs = 0) {
  const bus = new MemoryBus({ redeliverAfterMs: 60_000 });
  const content = new MemoryContentStore();
  const ledger = new MemoryAttemptLedger();
  const executions: string[] = [];
  const runners = Array.from(
    { length: n },
    (_, i) =>
      new Runner({
        bus,
        content,
        options: {
          handlers: {
            work: async (_input, ctx) => {
              executions.push(`${ctx.runId}/${ctx.nodeId}/${ctx.attempt}`);
              await sleep(workMs);
              return { by: i };
            },
          },
          allowPrivateNetwork: false,
        },
        concurrency: 4,
        consumer: `r${i}`,
        attempts: { ledger, claimTtlMs: 600 },
        stopGraceMs,
      }),
  );
  await bus.ensureGroup('watch', [Topic.results]);
  for (const r of runners) await r.start();
  const results: ResultMessage[] = [];
  const watching = (async () => {
    for (;;) {
      const batch = await bus
        .read({ group: 'watch', consumer: 'w', topics: [Topic.results], blockMs: 200 })
        .catch(() => undefined);
      if (!batch) return;
      for (const m of batch) results.push(m.value as ResultMessage);
    }
  })();
  cleanup.push(async () => {
    const stopped = Promise.all(runners.map((r) => r.stop()));
    await bus.close(); // wakes blocked reads, the watcher's too
    await stopped;
    await watching;
  });
  const terminal = (runId: string) =>
    results.filter((r) => r.runId === runId && (r.kind === 'succeeded' || r.kind === 'failed'));
  const until = async (check: () => boolean, ms = 5_000) => {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await sleep(10);
    }
  };
  return { bus, ledger, runners, executions, results, terminal, until };
}

describe('Runners with an attempt ledger', () => {
  it('execute a job sent twice once, and answer both copies', async () => {
    const c = await cluster(2, 100);
    const j = job('run_twice');
    await c.bus.publish(Topic.jobsMedium, j.runId, j);
    await c.bus.publish(Topic.jobsMedium, j.runId, j);
    await c.until(() => c.terminal('run_twice').length >= 2);
    await sleep(200);
    expect(c.executions).toEqual(['run_twice/n/1']);
    const [first, second] = c.terminal('run_twice');
    expect(second).toMatchObject({ kind: 'succeeded' });
    expect(second).toMatchObject({ output: (first as { output: unknown }).output });
  });

  it('answer a job whose attempt finished with the recorded result, without executing', async () => {
    const c = await cluster(1, 10);
    const j = job('run_done');
    await c.bus.publish(Topic.jobsMedium, j.runId, j);
    await c.until(() => c.terminal('run_done').length === 1);
    // Delivered again, as after a crash before the offset commit: the same result, no execution.
    await c.bus.publish(Topic.jobsMedium, j.runId, j);
    await c.until(() => c.terminal('run_done').length === 2);
    expect(c.executions).toEqual(['run_done/n/1']);
    expect(c.terminal('run_done')[1]).toMatchObject({ kind: 'succeeded', attempt: 1 });
    // Another attempt of the node is other work.
    await c.bus.publish(Topic.jobsMedium, j.runId, { ...j, attempt: 2 });
    await c.until(() => c.terminal('run_done').length === 3);
    expect(c.executions).toEqual(['run_done/n/1', 'run_done/n/2']);
  });

  it('run an attempt whose runner died (its claim lapsed) again, once', async () => {
    const c = await cluster(1, 10);
    const j = job('run_orphan');
    // A runner that died mid-attempt left its claim, renewed no more.
    await c.ledger.claim({ runId: j.runId, nodeId: 'n', attempt: 1 }, 'dead#1', 600);
    const t0 = Date.now();
    await c.bus.publish(Topic.jobsMedium, j.runId, j);
    await c.until(() => c.terminal('run_orphan').length === 1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    expect(c.executions).toEqual(['run_orphan/n/1']);
  });

  it('let the jobs in hand finish on a graceful stop', async () => {
    const c = await cluster(1, 1_500, 5_000);
    const j = job('run_graceful');
    await c.bus.publish(Topic.jobsMedium, j.runId, j);
    await c.until(() => c.executions.length === 1);
    await c.runners[0]!.stop();
    expect(c.terminal('run_graceful')).toMatchObject([{ kind: 'succeeded' }]);
  });

  it('start no job read after a graceful stop began (it would be aborted half done)', async () => {
    const c = await cluster(1, 1_500, 5_000);
    const first = job('run_in_hand');
    await c.bus.publish(Topic.jobsMedium, first.runId, first);
    await c.until(() => c.executions.length === 1);
    const stopped = c.runners[0]!.stop();
    const late = job('run_late');
    await c.bus.publish(Topic.jobsMedium, late.runId, late);
    await stopped;
    expect(c.executions).toEqual(['run_in_hand/n/1']);
    expect(c.terminal('run_in_hand')).toMatchObject([{ kind: 'succeeded' }]);
    expect(c.terminal('run_late')).toEqual([]);
  });

  it('without a grace, abort the jobs in hand on stop and leave them to run again', async () => {
    const c = await cluster(1, 4_000, 0);
    const j = job('run_abort');
    await c.bus.publish(Topic.jobsMedium, j.runId, j);
    await c.until(() => c.executions.length === 1);
    const t0 = Date.now();
    await c.runners[0]!.stop();
    expect(Date.now() - t0).toBeLessThan(2_500);
    expect(c.terminal('run_abort')).toEqual([]);
    // The abandoned attempt's claim was released: the next claimer gets it at once.
    expect(
      await c.ledger.claim({ runId: 'run_abort', nodeId: 'n', attempt: 1 }, 'next', 600),
    ).toEqual({ kind: 'claimed' });
  });
});

describe("A runner's claims", () => {
  /** The TTL of the first claim a runner on `bus` makes, with `claimTtlMs` given or not. */
  async function firstClaimTtl(bus: MemoryBus, claimTtlMs?: number): Promise<number> {
    const ledger = new MemoryAttemptLedger();
    const ttls: number[] = [];
    const claim = ledger.claim.bind(ledger);
    ledger.claim = (key, owner, ttlMs) => {
      ttls.push(ttlMs);
      return claim(key, owner, ttlMs);
    };
    const runner = new Runner({
      bus,
      content: new MemoryContentStore(),
      options: { handlers: { work: () => Promise.resolve(null) }, allowPrivateNetwork: false },
      concurrency: 1,
      consumer: 'r',
      attempts: { ledger, ...(claimTtlMs !== undefined ? { claimTtlMs } : {}) },
    });
    await runner.start();
    cleanup.push(async () => {
      const stopped = runner.stop();
      await bus.close();
      await stopped;
    });
    await bus.publish(Topic.jobsMedium, 'run-1', job('run-1'));
    for (let i = 0; ttls.length === 0; i++) {
      if (i > 500) throw new Error('no claim');
      await sleep(10);
    }
    return ttls[0]!;
  }

  it('lapse when the bus redelivers a dead runner’s job: the TTL follows the redelivery time', async () => {
    expect(await firstClaimTtl(new MemoryBus({ redeliverAfterMs: 3_000 }))).toBe(3_000);
    // Kept between 0.5 s and 15 s.
    expect(await firstClaimTtl(new MemoryBus({ redeliverAfterMs: 100 }))).toBe(500);
    expect(await firstClaimTtl(new MemoryBus({ redeliverAfterMs: 60_000 }))).toBe(15_000);
    // Given, it wins.
    expect(await firstClaimTtl(new MemoryBus({ redeliverAfterMs: 3_000 }), 900)).toBe(900);
  });
});
