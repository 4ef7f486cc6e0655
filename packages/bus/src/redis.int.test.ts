// Runs the conformance suite against a real Redis (>= 7). Never skips: an unreachable Redis
// fails the run, with a message saying how to fix it.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busConformance } from './conformance.js';
import { RedisStreamsBus } from './redis.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `aob:test:${randomUUID()}:`;
let admin: Redis | undefined;

beforeAll(async () => {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let cause: unknown;
  probe.on('error', (err) => (cause = err));
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    probe.disconnect();
    throw new Error(
      `Redis is not reachable at ${url} (${String(cause ?? err)}). ` +
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

busConformance('RedisStreamsBus', async (opts) => new RedisStreamsBus({ url, prefix, ...opts }));

describe('RedisStreamsBus retention', () => {
  it("trims a topic's stream to about its maxLength, and leaves other topics whole", async () => {
    const bus = new RedisStreamsBus({
      url,
      prefix,
      maxLength: (topic) => (topic === 'brief' ? 50 : undefined),
    });
    try {
      for (let i = 0; i < 1_000; i++) {
        await bus.publish('brief', 'k', i);
        await bus.publish('kept', 'k', i);
      }
      // MAXLEN ~ trims whole macro nodes (100 entries by default): about 50, never all 1 000.
      expect(await admin!.xlen(`${prefix}brief`)).toBeLessThanOrEqual(200);
      expect(await admin!.xlen(`${prefix}kept`)).toBe(1_000);
    } finally {
      await bus.close();
    }
  });
});

describe('RedisStreamsBus idle-message lookups', () => {
  /** A client whose XAUTOCLAIM commands are counted. */
  function countingClient() {
    const redis = new Redis(url);
    const counted = { autoclaims: 0 };
    const call = redis.call.bind(redis) as (...args: unknown[]) => Promise<unknown>;
    (redis as unknown as { call: (...args: unknown[]) => Promise<unknown> }).call = (
      ...args: unknown[]
    ) => {
      if (args[0] === 'XAUTOCLAIM') counted.autoclaims++;
      return call(...args);
    };
    return { redis, counted };
  }

  it('looks for idle messages on the first read, then at most every quarter of the timeout', async () => {
    const { redis, counted } = countingClient();
    const bus = new RedisStreamsBus({ redis, prefix, redeliverAfterMs: 400 });
    try {
      const topics = [`idle-${randomUUID()}`, `idle-${randomUUID()}`];
      await bus.ensureGroup('g', topics);
      for (let i = 0; i < 20; i++) await bus.read({ group: 'g', consumer: 'c1', topics });
      expect(counted.autoclaims).toBe(2); // one per topic
      await new Promise((r) => setTimeout(r, 120)); // past 400 / 4
      await bus.read({ group: 'g', consumer: 'c1', topics });
      expect(counted.autoclaims).toBe(4);
      // Another reader looks on its own first read.
      await bus.read({ group: 'g', consumer: 'c2', topics });
      expect(counted.autoclaims).toBe(6);
    } finally {
      await bus.close();
      redis.disconnect();
    }
  });

  it('looks again at once after a full batch of idle messages', async () => {
    const { redis, counted } = countingClient();
    const bus = new RedisStreamsBus({ redis, prefix, redeliverAfterMs: 300 });
    try {
      const topic = `idle-${randomUUID()}`;
      await bus.ensureGroup('g', [topic]);
      for (let i = 0; i < 5; i++) await bus.publish(topic, 'k', i);
      expect(
        await bus.read({ group: 'g', consumer: 'gone', topics: [topic], count: 5 }),
      ).toHaveLength(5);
      await new Promise((r) => setTimeout(r, 350));
      const first = await bus.read({ group: 'g', consumer: 'c1', topics: [topic], count: 3 });
      const second = await bus.read({ group: 'g', consumer: 'c1', topics: [topic], count: 3 });
      expect([...first, ...second].map((m) => [m.value, m.deliveries])).toEqual(
        [0, 1, 2, 3, 4].map((v) => [v, 2]),
      );
      expect(counted.autoclaims).toBe(3); // 'gone', then c1 twice: the first batch was full
    } finally {
      await bus.close();
      redis.disconnect();
    }
  });
});
