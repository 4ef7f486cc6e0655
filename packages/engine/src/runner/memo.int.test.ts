// RedisResultMemo against a real Redis: round trip, TTL, prefix isolation. Never skips.
import { randomUUID } from 'node:crypto';
import type { CasRef, NodeJob } from '@aob/core';
import { Topic } from '@aob/core';
import { MemoryBus } from '@aob/bus';
import { MemoryContentStore } from '@aob/store';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MEMO_TTL_MS, RedisResultMemo, memoKey } from './memo.js';
import type { ResultMessage } from './runner.js';
import { Runner } from './runner.js';
import { nodeJob } from '../testing/node-job.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `aob:test:${randomUUID()}:memo:`;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new Error(
      `Redis is not reachable at ${url} (${String(err)}). ` +
        'Start Redis 7 there or point REDIS_URL at one; integration tests do not skip.',
    );
  }
});

afterAll(async () => {
  if (!redis) return;
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.unlink(...keys);
  await redis.quit();
});

const ref = (hex: string): CasRef => ({ $cas: `sha256:${hex.padEnd(64, '0')}`, size: 12 });

describe('RedisResultMemo', () => {
  it('round-trips a ref under the prefix, with the default 24 h TTL', async () => {
    const memo = new RedisResultMemo(redis, { prefix });
    expect(await memo.get('sha256:k1')).toBeUndefined();
    await memo.set('sha256:k1', ref('ab'));
    expect(await memo.get('sha256:k1')).toEqual(ref('ab'));
    expect(JSON.parse((await redis.get(`${prefix}sha256:k1`)) as string)).toEqual(ref('ab'));
    const pttl = await redis.pttl(`${prefix}sha256:k1`);
    expect(pttl).toBeGreaterThan(DEFAULT_MEMO_TTL_MS - 60_000);
    expect(pttl).toBeLessThanOrEqual(DEFAULT_MEMO_TTL_MS);
  });

  it('honours a custom TTL, and a set refreshes it', async () => {
    const memo = new RedisResultMemo(redis, { prefix, ttlMs: 5_000 });
    await memo.set('sha256:k2', ref('cd'));
    const pttl = await redis.pttl(`${prefix}sha256:k2`);
    expect(pttl).toBeGreaterThan(4_000);
    expect(pttl).toBeLessThanOrEqual(5_000);
    await new RedisResultMemo(redis, { prefix, ttlMs: 60_000 }).set('sha256:k2', ref('cd'));
    expect(await redis.pttl(`${prefix}sha256:k2`)).toBeGreaterThan(5_000);
  });

  it('expires entries', async () => {
    const memo = new RedisResultMemo(redis, { prefix, ttlMs: 50 });
    await memo.set('sha256:k3', ref('ef'));
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await memo.get('sha256:k3')).toBeUndefined();
  });

  it('isolates prefixes', async () => {
    const a = new RedisResultMemo(redis, { prefix: `${prefix}a:` });
    const b = new RedisResultMemo(redis, { prefix: `${prefix}b:` });
    await a.set('sha256:same', ref('01'));
    expect(await b.get('sha256:same')).toBeUndefined();
    await b.set('sha256:same', ref('02'));
    expect(await a.get('sha256:same')).toEqual(ref('01'));
  });

  it('treats a corrupt entry as a miss', async () => {
    const memo = new RedisResultMemo(redis, { prefix });
    await redis.set(`${prefix}sha256:bad`, 'not json', 'PX', 10_000);
    expect(await memo.get('sha256:bad')).toBeUndefined();
    await redis.set(`${prefix}sha256:bad2`, '{"x":1}', 'PX', 10_000);
    expect(await memo.get('sha256:bad2')).toBeUndefined();
  });

  it('lets a runner skip work another run already did', async () => {
    const memo = new RedisResultMemo(redis, { prefix: `${prefix}runner:` });
    const bus = new MemoryBus();
    const content = new MemoryContentStore();
    let calls = 0;
    const errors: unknown[] = [];
    const runner = new Runner({
      bus,
      content,
      options: {
        allowPrivateNetwork: false,
        handlers: { work: () => ({ n: ++calls }) },
      },
      concurrency: 2,
      consumer: 'r',
      memo: { store: memo, types: ['task'] },
      onError: (err) => errors.push(err),
    });
    await bus.ensureGroup('test', [Topic.results]);
    await runner.start();
    try {
      const job = (runId: string): NodeJob =>
        nodeJob(runId, {
          input: { q: 'same' },
          inputRef: { $cas: 'sha256:in', size: 12 },
          priority: 'low',
        });
      const outputs: CasRef[] = [];
      for (const runId of ['r1', 'r2']) {
        await bus.publish(Topic.jobsLow, runId, job(runId));
        for (let done = false; !done;) {
          const batch = await bus.read({
            group: 'test',
            consumer: 't',
            topics: [Topic.results],
            blockMs: 1_000,
          });
          for (const m of batch) {
            const r = m.value as ResultMessage;
            if (r.runId === runId && r.kind === 'succeeded') {
              outputs.push(r.output);
              done = true;
            }
          }
        }
      }
      expect(calls).toBe(1);
      expect(errors).toEqual([]);
      expect(outputs[1]).toEqual(outputs[0]);
      expect(await memo.get(memoKey(job('any')))).toEqual(outputs[0]);
    } finally {
      const stopped = runner.stop();
      await bus.close();
      await stopped;
    }
  });
});
