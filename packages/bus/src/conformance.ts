// The bus conformance suite: every adapter runs it (memory.test.ts, redis.int.test.ts, …).
// It imports vitest, so it is not exported from index.ts; adapter tests import it by path.
// Timing tests wait for real: adapters backed by a server cannot follow an injected clock.
import { afterEach, describe, expect, it } from 'vitest';
import { BusErrorCode } from './errors.js';
import type { Bus, BusMessage, BusOptions } from './port.js';
import { publishAll } from './publish-all.js';

export type MakeBus = (opts: BusOptions & { now?: () => number }) => Promise<Bus>;

/** Short enough to keep the suite fast, long enough to tell "before" from "after". */
const IDLE_MS = 150;
/** Comfortably past IDLE_MS. */
const PAST_IDLE_MS = 260;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function busConformance(name: string, makeBus: MakeBus): void {
  describe(`Bus conformance: ${name}`, () => {
    const open: Bus[] = [];
    let n = 0;
    /** Topic and group names unique to one test, so tests sharing a server do not interfere. */
    const names = () => {
      n++;
      return {
        topic: `conf${n}.topic`,
        high: `conf${n}.high`,
        low: `conf${n}.low`,
        group: `conf${n}.group`,
        other: `conf${n}.other-group`,
      };
    };
    const bus = async (opts: BusOptions = {}) => {
      const b = await makeBus(opts);
      open.push(b);
      return b;
    };

    afterEach(async () => {
      await Promise.all(open.splice(0).map((b) => b.close()));
    });

    const ids = (ms: readonly BusMessage[]) => ms.map((m) => m.id);

    it('round-trips value, key and headers, with deliveries = 1', async () => {
      const b = await bus();
      const { topic, group } = names();
      await b.ensureGroup(group, [topic]);
      const value = { n: 1, text: 'héllo', list: [1, 'two', null], nested: { ok: true } };
      const id = await b.publish(topic, 'run-1', value, { traceparent: '00-abc-01', x: 'y' });
      await b.publish(topic, 'run-2', 'plain string');
      const got = await b.read({ group, consumer: 'c1', topics: [topic] });
      expect(got).toHaveLength(2);
      expect(got[0]).toEqual({
        id,
        topic,
        key: 'run-1',
        value,
        headers: { traceparent: '00-abc-01', x: 'y' },
        deliveries: 1,
      });
      expect(got[1]).toMatchObject({ key: 'run-2', value: 'plain string', headers: {} });
      expect(got[1]?.id).not.toBe(id);
    });

    it('delivers in publish order and honours count', async () => {
      const b = await bus();
      const { topic, group } = names();
      await b.ensureGroup(group, [topic]);
      const published: string[] = [];
      for (let i = 0; i < 5; i++) published.push(await b.publish(topic, `k${i}`, i));
      expect(new Set(published).size).toBe(5);
      const first = await b.read({ group, consumer: 'c1', topics: [topic], count: 2 });
      const rest = await b.read({ group, consumer: 'c1', topics: [topic], count: 10 });
      expect(ids(first)).toEqual(published.slice(0, 2));
      expect(ids(rest)).toEqual(published.slice(2));
      expect(await b.read({ group, consumer: 'c1', topics: [topic] })).toEqual([]);
    });

    it('publishes a batch in order, behind and ahead of single publishes (publishAll)', async () => {
      const b = await bus();
      const { topic, other, group } = names();
      await b.ensureGroup(group, [topic, other]);
      const before = b.publish(topic, 'k', 'before');
      const batch = publishAll(b, [
        { topic, key: 'k', value: 'one', headers: { x: '1' } },
        { topic: other, key: 'k', value: 'elsewhere' },
        { topic, key: 'k', value: 'two' },
      ]);
      const after = b.publish(topic, 'k', 'after');
      const [beforeId, batchIds, afterId] = await Promise.all([before, batch, after]);
      expect(batchIds).toHaveLength(3);
      const got = await b.read({ group, consumer: 'c1', topics: [topic], count: 10 });
      expect(got.map((m) => m.value)).toEqual(['before', 'one', 'two', 'after']);
      expect(ids(got)).toEqual([beforeId, batchIds[0], batchIds[2], afterId]);
      expect(got[1]?.headers).toEqual({ x: '1' });
      const elsewhere = await b.read({ group, consumer: 'c1', topics: [other] });
      expect(elsewhere.map((m) => [m.id, m.value])).toEqual([[batchIds[1], 'elsewhere']]);
      expect(await publishAll(b, [])).toEqual([]);
    });

    it('delivers messages published before the group was created', async () => {
      const b = await bus();
      const { topic, group } = names();
      await b.publish(topic, 'k', 'early');
      await b.ensureGroup(group, [topic]);
      const got = await b.read({ group, consumer: 'c1', topics: [topic] });
      expect(got.map((m) => m.value)).toEqual(['early']);
    });

    it('gives every group every message', async () => {
      const b = await bus();
      const { topic, group, other } = names();
      await b.ensureGroup(group, [topic]);
      await b.ensureGroup(other, [topic]);
      const published: string[] = [];
      for (let i = 0; i < 5; i++) published.push(await b.publish(topic, 'k', i));
      const a = await b.read({ group, consumer: 'c1', topics: [topic] });
      await b.ack(group, topic, ids(a));
      const o = await b.read({ group: other, consumer: 'c1', topics: [topic] });
      expect(ids(a)).toEqual(published);
      expect(ids(o)).toEqual(published);
    });

    it('splits a group between its consumers, never delivering a message twice', async () => {
      const b = await bus();
      const { topic, group } = names();
      await b.ensureGroup(group, [topic]);
      const published: string[] = [];
      for (let i = 0; i < 10; i++) published.push(await b.publish(topic, `k${i % 3}`, i));
      const c1 = await b.read({ group, consumer: 'c1', topics: [topic], count: 4 });
      const c2 = await b.read({ group, consumer: 'c2', topics: [topic], count: 100 });
      expect(c1).toHaveLength(4);
      expect(c2).toHaveLength(6);
      expect([...ids(c1), ...ids(c2)].sort()).toEqual([...published].sort());
      expect(await b.read({ group, consumer: 'c1', topics: [topic] })).toEqual([]);
      expect(await b.read({ group, consumer: 'c3', topics: [topic] })).toEqual([]);
    });

    it('keeps order per key', async () => {
      const b = await bus();
      const { topic, group } = names();
      await b.ensureGroup(group, [topic]);
      const keys = ['a', 'b', 'a', 'c', 'b', 'a', 'c', 'a', 'b', 'a'];
      for (const [i, key] of keys.entries()) await b.publish(topic, key, i);
      const seen = new Map<string, number[]>();
      for (let round = 0; round < 10; round++) {
        const got = await b.read({ group, consumer: `c${round % 2}`, topics: [topic], count: 3 });
        for (const m of got) seen.set(m.key, [...(seen.get(m.key) ?? []), m.value as number]);
      }
      for (const key of ['a', 'b', 'c']) {
        const expected = keys.flatMap((k, i) => (k === key ? [i] : []));
        expect(seen.get(key)).toEqual(expected);
      }
    });

    it('redelivers an unacknowledged message to another consumer after the idle timeout', async () => {
      const b = await bus({ redeliverAfterMs: IDLE_MS });
      const { topic, group } = names();
      await b.ensureGroup(group, [topic]);
      const id = await b.publish(topic, 'k', { job: 1 }, { h: '1' });
      const [first] = await b.read({ group, consumer: 'c1', topics: [topic] });
      expect(first?.deliveries).toBe(1);
      // Not before the timeout.
      expect(await b.read({ group, consumer: 'c2', topics: [topic] })).toEqual([]);
      await sleep(PAST_IDLE_MS);
      const second = await b.read({ group, consumer: 'c2', topics: [topic] });
      expect(second).toEqual([
        { id, topic, key: 'k', value: { job: 1 }, headers: { h: '1' }, deliveries: 2 },
      ]);
      // Claimed by c2: not redelivered again before the timeout, then delivered a third time.
      expect(await b.read({ group, consumer: 'c1', topics: [topic] })).toEqual([]);
      await sleep(PAST_IDLE_MS);
      const third = await b.read({ group, consumer: 'c1', topics: [topic] });
      expect(third.map((m) => [m.id, m.deliveries])).toEqual([[id, 3]]);
    });

    it('returns idle pending messages before new ones', async () => {
      const b = await bus({ redeliverAfterMs: IDLE_MS });
      const { topic, group } = names();
      await b.ensureGroup(group, [topic]);
      const old = await b.publish(topic, 'k', 'old');
      await b.read({ group, consumer: 'c1', topics: [topic] });
      const fresh = await b.publish(topic, 'k', 'new');
      await sleep(PAST_IDLE_MS);
      const got = await b.read({ group, consumer: 'c2', topics: [topic] });
      expect(got.map((m) => [m.id, m.deliveries])).toEqual([
        [old, 2],
        [fresh, 1],
      ]);
    });

    it('never redelivers an acknowledged message, whoever acknowledges it', async () => {
      const b = await bus({ redeliverAfterMs: IDLE_MS });
      const { topic, group } = names();
      await b.ensureGroup(group, [topic]);
      await b.publish(topic, 'k', 1);
      await b.publish(topic, 'k', 2);
      const got = await b.read({ group, consumer: 'c1', topics: [topic] });
      expect(got).toHaveLength(2);
      await b.ack(group, topic, [got[0]?.id as string]);
      await sleep(PAST_IDLE_MS);
      // Only the unacknowledged one comes back; its first consumer acknowledges it late.
      const again = await b.read({ group, consumer: 'c2', topics: [topic] });
      expect(ids(again)).toEqual([got[1]?.id]);
      await b.ack(group, topic, ids(got));
      await b.ack(group, topic, ids(got)); // acknowledging twice is harmless
      await sleep(PAST_IDLE_MS);
      expect(await b.read({ group, consumer: 'c3', topics: [topic] })).toEqual([]);
    });

    it('wakes a blocking read when a message is published', async () => {
      const b = await bus();
      const { high, low, group } = names();
      await b.ensureGroup(group, [high, low]);
      const started = Date.now();
      const reading = b.read({ group, consumer: 'c1', topics: [high, low], blockMs: 3_000 });
      await sleep(50);
      const id = await b.publish(low, 'k', 'wake');
      const got = await reading;
      expect(ids(got)).toEqual([id]);
      expect(Date.now() - started).toBeLessThan(1_500);
    });

    it('returns [] from a blocking read after blockMs when nothing arrives', async () => {
      const b = await bus();
      const { topic, group } = names();
      await b.ensureGroup(group, [topic]);
      const started = Date.now();
      const got = await b.read({ group, consumer: 'c1', topics: [topic], blockMs: 200 });
      const elapsed = Date.now() - started;
      expect(got).toEqual([]);
      expect(elapsed).toBeGreaterThanOrEqual(180);
      expect(elapsed).toBeLessThan(1_500);
    });

    it('serves higher-priority topics first', async () => {
      const b = await bus();
      const { high, low, group } = names();
      await b.ensureGroup(group, [high, low]);
      for (let i = 0; i < 3; i++) await b.publish(low, 'k', `low${i}`);
      for (let i = 0; i < 3; i++) await b.publish(high, 'k', `high${i}`);
      const topics = [high, low];
      const first = await b.read({ group, consumer: 'c1', topics, count: 10 });
      expect(first.map((m) => m.value)).toEqual(['high0', 'high1', 'high2']);
      const second = await b.read({ group, consumer: 'c1', topics, count: 10 });
      expect(second.map((m) => m.value)).toEqual(['low0', 'low1', 'low2']);
    });

    it('does not starve lower-priority topics while higher ones stay busy', async () => {
      const fairness = 4;
      const b = await bus({ fairness });
      const { high, low, group } = names();
      await b.ensureGroup(group, [high, low]);
      for (let i = 0; i < 30; i++) await b.publish(high, 'k', i);
      for (let i = 0; i < 5; i++) await b.publish(low, 'k', i);
      const served: string[] = [];
      for (let i = 0; i < 3 * fairness; i++) {
        const got = await b.read({ group, consumer: 'c1', topics: [high, low], count: 1 });
        expect(got).toHaveLength(1);
        served.push(got[0]?.topic === high ? 'H' : 'L');
      }
      // Low progresses within every window of `fairness` reads; high still gets most of them.
      expect(served.slice(0, fairness)).toContain('L');
      const lows = served.filter((t) => t === 'L').length;
      expect(lows).toBeGreaterThanOrEqual(3);
      expect(served.length - lows).toBeGreaterThan(2 * lows);
    });

    it('does not starve a middle topic while the highest and the lowest stay busy', async () => {
      const fairness = 3;
      const b = await bus({ fairness });
      const { high, low, group } = names();
      const medium = `${high}.medium`;
      await b.ensureGroup(group, [high, medium, low]);
      for (let i = 0; i < 40; i++) await b.publish(high, 'k', i);
      for (let i = 0; i < 5; i++) await b.publish(medium, 'k', i);
      for (let i = 0; i < 20; i++) await b.publish(low, 'k', i);
      const served: string[] = [];
      for (let i = 0; i < 4 * fairness; i++) {
        const got = await b.read({ group, consumer: 'c1', topics: [high, medium, low], count: 1 });
        expect(got).toHaveLength(1);
        served.push(got[0]?.topic === high ? 'H' : got[0]?.topic === medium ? 'M' : 'L');
      }
      // Each topic below the first starts one of every fairness × 2 reads.
      expect(served.slice(0, 2 * fairness)).toEqual(expect.arrayContaining(['M', 'L']));
      expect(served.filter((t) => t === 'H').length).toBeGreaterThan(served.length / 2);
    });

    it('ensureGroup is idempotent and does not rewind the group', async () => {
      const b = await bus();
      const { topic, group } = names();
      await b.ensureGroup(group, [topic]);
      await b.ensureGroup(group, [topic]);
      await b.publish(topic, 'k', 1);
      const got = await b.read({ group, consumer: 'c1', topics: [topic] });
      expect(got).toHaveLength(1);
      await b.ack(group, topic, ids(got));
      await b.ensureGroup(group, [topic]);
      expect(await b.read({ group, consumer: 'c1', topics: [topic] })).toEqual([]);
    });

    it('rejects reads for a group that was never created', async () => {
      const b = await bus();
      const { topic, group, other } = names();
      await b.ensureGroup(group, [topic]);
      await expect(b.read({ group: other, consumer: 'c1', topics: [topic] })).rejects.toMatchObject(
        { code: BusErrorCode.NoGroup },
      );
    });

    it('extend resets the idle time of pending messages', async (ctx) => {
      const b = await bus({ redeliverAfterMs: 250 });
      if (!b.extend) {
        ctx.skip();
        return;
      }
      const { topic, group } = names();
      await b.ensureGroup(group, [topic]);
      const id = await b.publish(topic, 'k', 'slow job');
      await b.read({ group, consumer: 'c1', topics: [topic] });
      await sleep(150);
      await b.extend(group, 'c1', topic, [id]);
      await sleep(150); // 300 ms since delivery, 150 ms since extend
      expect(await b.read({ group, consumer: 'c2', topics: [topic] })).toEqual([]);
      await sleep(200); // 350 ms since extend
      const got = await b.read({ group, consumer: 'c2', topics: [topic] });
      expect(got.map((m) => [m.id, m.deliveries])).toEqual([[id, 2]]);
    });
  });
}
