// Heartbeats keep a long job with the runner that has it (issue 4): against a real Redis
// (RedisStreamsBus) and the MemoryBus, with a redelivery idle time far shorter than the job.
// The control cases turn heartbeats off and see the job redelivered, so the test can fail.
import { randomUUID } from 'node:crypto';
import type { NodeJob } from '@aob/core';
import { Topic } from '@aob/core';
import type { Bus } from '@aob/bus';
import { MemoryBus, RedisStreamsBus } from '@aob/bus';
import { MemoryContentStore } from '@aob/store';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ResultMessage } from './runner.js';
import { Runner } from './runner.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `aob:test:${randomUUID()}:`;
const REDELIVER_AFTER_MS = 300;
const JOB_MS = 1_500;
let admin: Redis | undefined;

beforeAll(async () => {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    probe.disconnect();
    throw new Error(
      `Redis is not reachable at ${url} (${String(err)}). ` +
        'Start Redis 7 there or point REDIS_URL at one; integration tests do not skip.',
    );
  }
  admin = probe;
});

afterAll(async () => {
  if (!admin) return;
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  if (keys.length > 0) await admin.unlink(...keys);
  await admin.quit();
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Two handles on one bus (two clients of one Redis; one MemoryBus twice). */
type BusPair = () => Promise<[Bus, Bus]>;

const buses: [string, BusPair][] = [
  [
    'RedisStreamsBus',
    async () => {
      // Each test gets its own streams, so a left-over pending job never leaks into the next.
      const p = `${prefix}${randomUUID()}:`;
      const opts = { url, prefix: p, redeliverAfterMs: REDELIVER_AFTER_MS };
      return [new RedisStreamsBus(opts), new RedisStreamsBus(opts)];
    },
  ],
  [
    'MemoryBus',
    async () => {
      const bus = new MemoryBus({ redeliverAfterMs: REDELIVER_AFTER_MS });
      return [bus, bus];
    },
  ],
];

function job(): NodeJob {
  const runId = `run-${randomUUID()}`;
  return {
    runId,
    nodeId: 'slow',
    attempt: 1,
    irHash: 'sha256:ir',
    type: 'task',
    config: { handler: 'slow' },
    input: null,
    inputRef: { $cas: 'sha256:in', size: 4 },
    timeoutMs: 30_000,
    priority: 'medium',
    idempotencyKey: `${runId}/slow`,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * Runner A takes a 1.5 s job; once it is running, runner B joins the group. Returns which
 * runners ran the handler, and whether A's result arrived.
 */
async function scenario(pair: BusPair, heartbeatMs: number | undefined) {
  const [busA, busB] = await pair();
  const content = new MemoryContentStore();
  const ran: string[] = [];
  const errors: unknown[] = [];
  const runner = (bus: Bus, name: string) =>
    new Runner({
      bus,
      content,
      options: {
        allowPrivateNetwork: false,
        handlers: {
          slow: async () => {
            ran.push(name);
            await sleep(JOB_MS);
            return name;
          },
        },
      },
      concurrency: 1,
      consumer: name,
      ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
      onError: (err) => errors.push(err),
    });
  const a = runner(busA, 'a');
  const b = runner(busB, 'b');
  cleanups.push(async () => {
    for (const bus of new Set([busA, busB])) await bus.close(); // wakes blocking reads
  });
  cleanups.push(() => a.stop());
  await busA.ensureGroup('test', [Topic.results]);
  await a.start();
  const j = job();
  await busA.publish(Topic.jobsMedium, j.runId, j);
  await until(() => ran.includes('a'), 5_000, 'runner a to start the job');
  cleanups.push(() => b.stop());
  await b.start();
  return { ran, errors, results: () => resultsOf(busA, j.runId) };
}

async function resultsOf(bus: Bus, runId: string): Promise<ResultMessage[]> {
  const out: ResultMessage[] = [];
  for (;;) {
    const batch = await bus.read({ group: 'test', consumer: 't', topics: [Topic.results] });
    if (batch.length === 0) return out;
    for (const m of batch) {
      const r = m.value as ResultMessage;
      if (r.runId === runId) out.push(r);
    }
  }
}

describe.each(buses)('Runner heartbeats on %s', (_name, pair) => {
  it('keep a live job from being redelivered: the handler runs once', async () => {
    const s = await scenario(pair, 100);
    // Let A finish and publish, then give B every chance to claim a stale delivery.
    await sleep(JOB_MS + REDELIVER_AFTER_MS * 3);
    const results = await s.results();
    expect(s.ran).toEqual(['a']);
    expect(results.filter((r) => r.kind === 'succeeded')).toMatchObject([{ value: 'a' }]);
    expect(s.errors).toEqual([]);
  });

  it('the default interval (a third of the redelivery time) keeps the job too', async () => {
    const s = await scenario(pair, undefined);
    await sleep(JOB_MS + REDELIVER_AFTER_MS * 3);
    expect(s.ran).toEqual(['a']);
  });

  it('control: without heartbeats the job is redelivered to the second runner', async () => {
    const s = await scenario(pair, 0);
    await until(() => s.ran.includes('b'), JOB_MS * 3, 'runner b to be given the job');
    expect(s.ran).toEqual(['a', 'b']);
  });
});
