// The Redis attempt ledger against the machine's Redis (REDIS_URL, default 127.0.0.1:6379), each
// ledger under a fresh key prefix whose keys are deleted afterwards.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { attemptLedgerConformance } from './conformance/attempt-ledger.js';
import { RedisAttemptLedger } from './redis-attempts.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `aobtest-ledger-${randomBytes(4).toString('hex')}:`;

afterAll(async () => {
  const redis = new Redis(url);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
});

attemptLedgerConformance('Redis', async (now) => new RedisAttemptLedger({ url, prefix, now }));

describe('RedisAttemptLedger', () => {
  it('keeps an entry retainMs after its last write, then lets it expire', async () => {
    const ledger = new RedisAttemptLedger({ url, prefix, retainMs: 60_000 });
    const redis = new Redis(url);
    try {
      const key = { runId: `run_${randomBytes(3).toString('hex')}`, nodeId: 'n', attempt: 1 };
      await ledger.claim(key, 'r1', 5_000);
      await ledger.finish(key, 'r1', { kind: 'succeeded' });
      const [name] = await redis.keys(`${prefix}attempts:${key.runId}/*`);
      expect(name).toBeDefined();
      const ttl = await redis.pttl(name!);
      expect(ttl).toBeGreaterThan(55_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
      // The claim was withdrawn with the outcome: only the outcome is left.
      expect(await redis.hkeys(name!)).toEqual(['outcome']);
    } finally {
      await ledger.close();
      redis.disconnect();
    }
  });

  it('names the server when Redis cannot run a script', async () => {
    const redis = new Redis(url);
    const ledger = new RedisAttemptLedger({ redis, prefix });
    try {
      await redis.set(`${prefix}attempts:wrong/n/-/1`, 'not a hash');
      await expect(
        ledger.claim({ runId: 'wrong', nodeId: 'n', attempt: 1 }, 'r1', 1_000),
      ).rejects.toThrow(/WRONGTYPE/);
    } finally {
      await ledger.close();
      redis.disconnect();
    }
  });
});
