// Runs the conformance suite, and the behaviour only Kafka has, against a real Kafka broker:
// KAFKA_BROKERS, set by the integration global setup (scripts/services/kafka.service.ts starts a
// private broker unless it is given). Never skips: a missing or unreachable broker fails the run.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { busConformance } from './conformance.js';
import { KafkaBus } from './kafka.js';
import type { KafkaBusOptions } from './kafka.js';
import type { Bus, BusMessage, ReadOptions } from './port.js';

const brokers = process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim());
const prefix = `aobtest-${randomUUID().slice(0, 8)}.`;

/** Short group timings: joins and rebalances dominate this suite's time. */
const FAST: KafkaBusOptions = {
  brokers: brokers ?? [],
  prefix,
  sessionTimeout: 6_000,
  heartbeatInterval: 200,
  rebalanceTimeout: 5_000,
  maxWaitTimeInMs: 100,
  logLevel: kafkajs.logLevel.ERROR,
};

let admin: kafkajs.Admin | undefined;

beforeAll(async () => {
  if (!brokers?.length) {
    throw new Error(
      'KAFKA_BROKERS is not set: run the integration project (its global setup starts Kafka) ' +
        'or point KAFKA_BROKERS at a broker; integration tests do not skip.',
    );
  }
  const kafka = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING });
  admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (err) {
    throw new Error(`Kafka is not reachable at ${brokers.join(',')}: ${String(err)}`);
  }
});

afterAll(async () => {
  if (!admin) return;
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  if (topics.length > 0) await admin.deleteTopics({ topics });
  const { groups } = await admin.listGroups();
  const ours = groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
  if (ours.length > 0) await admin.deleteGroups(ours).catch(() => undefined);
  await admin.disconnect();
});

// The port promises ids increasing in publish order across a topic; Kafka orders only within a
// partition, so the conformance suite runs on single-partition topics. What multi-partition
// topics give (order per key, partitions split between processes) is tested below.
busConformance('KafkaBus (topics of 1 partition)', async (opts) => {
  return new KafkaBus({ ...FAST, ...opts, partitions: 1 });
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const ids = (ms: readonly BusMessage[]) => ms.map((m) => m.id);

/** Reads until `n` messages came (a blocking read returns as soon as the first ones arrive). */
async function readAtLeast(bus: Bus, opts: ReadOptions, n: number): Promise<BusMessage[]> {
  const got: BusMessage[] = [];
  const deadline = Date.now() + 15_000;
  while (got.length < n && Date.now() < deadline) {
    got.push(...(await bus.read({ ...opts, blockMs: 500 })));
  }
  return got;
}

describe('KafkaBus on Kafka', () => {
  const open: KafkaBus[] = [];
  let n = 0;
  const name = (what: string) => `k${++n}.${what}`;
  const bus = (opts: KafkaBusOptions = {}) => {
    const b = new KafkaBus({ ...FAST, ...opts });
    open.push(b);
    return b;
  };

  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });

  it('creates a topic with its topicConfig (a short retention), others with the defaults', async () => {
    const b = bus({
      topicConfig: (t): Record<string, string> =>
        t.endsWith('brief') ? { 'retention.ms': '60000' } : {},
    });
    const [brief, kept] = [name('brief'), name('kept')];
    await b.publish(brief, 'k', 1);
    await b.publish(kept, 'k', 1);
    const described = await admin!.describeConfigs({
      includeSynonyms: false,
      resources: [brief, kept].map((t) => ({
        type: kafkajs.ConfigResourceTypes.TOPIC,
        name: prefix + t,
        configNames: ['retention.ms'],
      })),
    });
    const retention = (t: string) =>
      described.resources
        .find((r) => r.resourceName === prefix + t)
        ?.configEntries.find((e) => e.configName === 'retention.ms');
    expect(retention(brief)).toMatchObject({ configValue: '60000', isDefault: false });
    expect(retention(kept)?.isDefault).toBe(true);
  });

  it('keeps order per key across partitions; ids are <partition>-<offset>', async () => {
    const b = bus({ partitions: 4 });
    const topic = name('topic');
    const group = name('group');
    await b.ensureGroup(group, [topic]);
    const keys = Array.from({ length: 8 }, (_, i) => `run-${i}`);
    const published = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      const key = keys[i % keys.length] as string;
      published.set(await b.publish(topic, key, { key, i }), key);
    }
    const got: BusMessage[] = [];
    while (got.length < 40) {
      const ms = await b.read({ group, consumer: 'c', topics: [topic], count: 7, blockMs: 2_000 });
      expect(ms.length).toBeGreaterThan(0);
      got.push(...ms);
    }
    expect(new Set(ids(got))).toEqual(new Set(published.keys()));
    const partitions = new Set(got.map((m) => m.id.split('-')[0]));
    expect(partitions.size).toBeGreaterThan(1); // the keys did spread
    for (const key of keys) {
      const values = got.filter((m) => m.key === key).map((m) => (m.value as { i: number }).i);
      expect(values).toEqual([...values].sort((a, b) => a - b));
      expect(values).toHaveLength(5);
      // One key, one partition, offsets increasing in publish order.
      const own = got.filter((m) => m.key === key).map((m) => m.id.split('-').map(Number));
      expect(new Set(own.map(([p]) => p)).size).toBe(1);
      const offsets = own.map(([, o]) => o as number);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    }
  });

  it('gives concurrent publishes (sent in shared requests) their own ids, in call order per key', async () => {
    const b = bus({ partitions: 4 });
    const topic = name('topic');
    const group = name('group');
    await b.ensureGroup(group, [topic]);
    const sent = await Promise.all(
      Array.from({ length: 300 }, (_, i) => b.publish(topic, `run-${i % 13}`, i)),
    );
    expect(new Set(sent).size).toBe(300);
    const got = await readAtLeast(b, { group, consumer: 'c', topics: [topic], count: 1_000 }, 300);
    for (const m of got) expect(m.id).toBe(sent[m.value as number]);
    for (let k = 0; k < 13; k++) {
      const values = got.filter((m) => m.key === `run-${k}`).map((m) => m.value as number);
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
  });

  it('splits the partitions of a group between processes, each message to one of them', async () => {
    const topic = name('topic');
    const group = name('group');
    const a = bus({ partitions: 4 });
    const b = bus({ partitions: 4 });
    await a.ensureGroup(group, [topic]);
    await b.ensureGroup(group, [topic]);
    // Both join before anything is published, so no partition moves while messages flow.
    await a.read({ group, consumer: 'a', topics: [topic] });
    await b.read({ group, consumer: 'b', topics: [topic] });
    await sleep(300);
    const published: string[] = [];
    for (let i = 0; i < 32; i++) published.push(await a.publish(topic, `run-${i}`, i));
    const seen = new Map<string, BusMessage[]>([
      ['a', []],
      ['b', []],
    ]);
    const consume = async (name: string, x: KafkaBus) => {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && [...seen.values()].flat().length < published.length) {
        const ms = await x.read({ group, consumer: name, topics: [topic], blockMs: 200 });
        seen.get(name)?.push(...ms);
        await x.ack(group, topic, ids(ms));
      }
    };
    await Promise.all([consume('a', a), consume('b', b)]);
    const all = [...seen.values()].flat();
    expect(ids(all).sort()).toEqual([...published].sort()); // every message once
    const partitionsOf = (ms: BusMessage[]) => new Set(ms.map((m) => m.id.split('-')[0]));
    const pa = partitionsOf(seen.get('a') ?? []);
    const pb = partitionsOf(seen.get('b') ?? []);
    expect(pa.size).toBeGreaterThan(0);
    expect(pb.size).toBeGreaterThan(0);
    expect([...pa].filter((p) => pb.has(p))).toEqual([]);
  });

  it('gives one member partition p of every topic of the group, whatever the member count', async () => {
    const results = name('results');
    const commands = name('commands');
    const group = name('group');
    const members = [bus({ partitions: 4 }), bus({ partitions: 4 }), bus({ partitions: 4 })];
    for (const m of members) {
      expect(m.settled(group)).toBe(false); // not joined yet
      await m.ensureGroup(group, [results, commands]);
    }
    await Promise.all(
      members.map((m, i) => m.read({ group, consumer: `m${i}`, topics: [results, commands] })),
    );
    // Three members on four partitions: kafkajs's round robin would deal commands' partitions to
    // other members than results' (its sequence runs on across topics).
    const deadline = Date.now() + 15_000;
    while (!members.every((m) => m.settled(group)) && Date.now() < deadline) await sleep(100);
    expect(members.map((m) => m.settled(group))).toEqual([true, true, true]);
    const keys = Array.from({ length: 24 }, (_, i) => `run-${i}`);
    for (const k of keys) {
      await members[0]!.publish(results, k, { k });
      await members[0]!.publish(commands, k, { k });
    }
    const got = new Map<string, Set<number>>();
    await Promise.all(
      members.map(async (m, i) => {
        const until = Date.now() + 15_000;
        while ([...got.values()].reduce((n, s) => n + s.size, 0) < 2 * keys.length) {
          if (Date.now() > until) break;
          for (const topic of [results, commands]) {
            const ms = await m.read({ group, consumer: `m${i}`, topics: [topic], blockMs: 100 });
            for (const msg of ms) {
              const k = (msg.value as { k: string }).k;
              const seenBy = got.get(`${topic}/${k}`) ?? new Set<number>();
              seenBy.add(i);
              got.set(`${topic}/${k}`, seenBy);
            }
            await m.ack(group, topic, ids(ms));
          }
        }
      }),
    );
    for (const k of keys) {
      const r = [...(got.get(`${results}/${k}`) ?? [])];
      const c = [...(got.get(`${commands}/${k}`) ?? [])];
      expect({ k, r: r.length, c: c.length }).toEqual({ k, r: 1, c: 1 });
      expect({ k, member: c[0] }).toEqual({ k, member: r[0] });
    }
    expect(new Set([...got.values()].map((s) => [...s][0])).size).toBe(3); // all three got work
    await members[2]!.close();
    expect(members[2]!.settled(group)).toBe(false);
  });

  it('redelivers to the partition owner; the next owner gets what was not committed', async () => {
    const topic = name('topic');
    const group = name('group');
    const opts = { partitions: 1, redeliverAfterMs: 150 };
    // The round-robin assignor gives a lone partition to the lowest member id, which starts
    // with the client id: the owner keeps partition 0 when the other process joins.
    const owner = bus({ ...opts, clientId: 'aob-a' });
    const other = bus({ ...opts, clientId: 'aob-b' });
    await owner.ensureGroup(group, [topic]);
    await other.ensureGroup(group, [topic]);
    await owner.read({ group, consumer: 'o1', topics: [topic] });
    const [m1, m2, m3] = [
      await owner.publish(topic, 'k', 1),
      await owner.publish(topic, 'k', 2),
      await owner.publish(topic, 'k', 3),
    ];
    const first = await readAtLeast(owner, { group, consumer: 'o1', topics: [topic] }, 3);
    expect(ids(first)).toEqual([m1, m2, m3]);
    // The other process joins and owns nothing; even past the idle timeout it gets nothing,
    // while the owner's other consumers get the idle messages again.
    expect(await other.read({ group, consumer: 'x1', topics: [topic] })).toEqual([]);
    await sleep(300);
    expect(await other.read({ group, consumer: 'x1', topics: [topic] })).toEqual([]);
    const again = await owner.read({ group, consumer: 'o2', topics: [topic] });
    expect(again.map((m) => [m.id, m.deliveries])).toEqual([
      [m1, 2],
      [m2, 2],
      [m3, 2],
    ]);
    // m2 stays unacknowledged: the committed offset stops at it, so m3 comes back too.
    await owner.ack(group, topic, [m1 as string, m3 as string]);
    await owner.close();
    const taken = await readAtLeast(other, { group, consumer: 'x1', topics: [topic] }, 2);
    expect(taken.map((m) => [m.id, m.value, m.deliveries])).toEqual([
      [m2, 2, 1],
      [m3, 3, 1],
    ]);
    await other.ack(group, topic, ids(taken));
    await other.close();
    // Everything committed: a third process of the group starts after m3.
    const late = bus(opts);
    await late.ensureGroup(group, [topic]);
    expect(await late.read({ group, consumer: 'z', topics: [topic], blockMs: 300 })).toEqual([]);
  });

  it('commits the offset only past contiguously acknowledged messages', async () => {
    const b = bus({ partitions: 1 });
    const topic = name('topic');
    const group = name('group');
    await b.ensureGroup(group, [topic]);
    for (let i = 0; i < 3; i++) await b.publish(topic, 'k', i);
    const [m0, m1, m2] = await readAtLeast(b, { group, consumer: 'c', topics: [topic] }, 3);
    const committed = async () => {
      const [t] = await (admin as kafkajs.Admin).fetchOffsets({
        groupId: prefix + group,
        topics: [prefix + topic],
      });
      return Number(t?.partitions[0]?.offset);
    };
    await b.ack(group, topic, [m1?.id as string]);
    expect(await committed()).toBeLessThanOrEqual(0); // not past m0, still pending
    await b.ack(group, topic, [m0?.id as string]);
    expect(await committed()).toBe(2); // m0 and m1: the next to consume is offset 2
    await b.ack(group, topic, [m2?.id as string]);
    expect(await committed()).toBe(3);
  });

  it('bounds what it buffers without making reads wait for the whole backlog', async () => {
    // One fetch brings at most 1 MiB per partition; the bound pauses fetching after it.
    const b = bus({ partitions: 1, maxBuffered: 5 });
    const topic = name('topic');
    const group = name('group');
    await b.ensureGroup(group, [topic]);
    const pad = 'x'.repeat(50_000);
    const total = 60; // about 3 MB
    for (let i = 0; i < total; i++) await b.publish(topic, 'k', { i, pad });
    const started = Date.now();
    const first = await b.read({ group, consumer: 'c', topics: [topic], count: 1_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(total); // fetching paused at the bound
    const rest = await readAtLeast(
      b,
      { group, consumer: 'c', topics: [topic] },
      total - first.length,
    );
    const order = [...first, ...rest].map((m) => (m.value as { i: number }).i);
    expect(order).toEqual(Array.from({ length: total }, (_, i) => i));
  });

  it('knows a group another process created once Kafka has offsets for it', async () => {
    const topic = name('topic');
    const group = name('group');
    const a = bus({ partitions: 1 });
    await a.ensureGroup(group, [topic]);
    await a.publish(topic, 'k', 1);
    const got = await a.read({ group, consumer: 'c', topics: [topic] });
    await a.ack(group, topic, ids(got));
    await a.close();
    const b = bus({ partitions: 1 });
    await b.publish(topic, 'k', 2);
    const next = await b.read({ group, consumer: 'c', topics: [topic], blockMs: 2_000 });
    expect(next.map((m) => m.value)).toEqual([2]);
    await expect(
      b.read({ group: name('never'), consumer: 'c', topics: [topic] }),
    ).rejects.toMatchObject({ code: 'BUS_NO_GROUP' });
  });

  it('runners drain high before medium before low, and low progresses all along', async () => {
    const [high, medium, low] = [name('high'), name('medium'), name('low')];
    const topics = [high, medium, low];
    const group = name('runners');
    const runners = [bus({ partitions: 4 }), bus({ partitions: 4 })];
    for (const r of runners) await r.ensureGroup(group, topics);
    // Both runner processes join before the work arrives, then share the partitions.
    await Promise.all(runners.map((r, i) => r.read({ group, consumer: `r${i}`, topics })));
    await sleep(300);
    const perTopic = 24;
    for (const topic of [low, medium, high]) {
      for (let i = 0; i < perTopic; i++) await runners[0]?.publish(topic, `run-${i}`, i);
    }
    await sleep(500); // the runners have fetched everything: from here on only priority decides
    const served: { runner: number; topic: string; id: string }[] = [];
    const run = async (r: KafkaBus, runner: number) => {
      const deadline = Date.now() + 15_000;
      while (served.length < 3 * perTopic && Date.now() < deadline) {
        const ms = await r.read({ group, consumer: `r${runner}`, topics, count: 1, blockMs: 100 });
        for (const m of ms) served.push({ runner, topic: m.topic, id: m.id });
        const first = ms[0];
        if (first) await r.ack(group, first.topic, ids(ms)); // "executed"
      }
    };
    await Promise.all(runners.map((r, i) => run(r, i)));

    for (const topic of topics) {
      const got = served.filter((s) => s.topic === topic).map((s) => s.id);
      expect(new Set(got).size).toBe(perTopic); // all of it, once
      expect(got).toHaveLength(perTopic);
    }
    for (const runner of [0, 1]) {
      const seq = served.filter((s) => s.runner === runner).map((s) => s.topic);
      const first = (t: string) => seq.indexOf(t);
      const last = (t: string) => seq.lastIndexOf(t);
      expect(seq.length).toBeGreaterThan(0);
      // Medium waits for high; low runs last but is served within every 8 reads (fairness).
      if (first(medium) >= 0 && last(high) >= 0) expect(last(high)).toBeLessThan(first(medium));
      if (last(low) >= 0) {
        expect(last(low)).toBe(seq.length - 1);
        expect(first(low)).toBeLessThan(8);
        if (last(high) >= 0)
          expect(seq.slice(0, last(high)).filter((t) => t === low).length).toBeGreaterThanOrEqual(
            Math.floor(last(high) / 8),
          );
      }
    }
  });
});

// Static membership (KIP-345, `instanceId`): what a runner restarted under its pod's name relies
// on. The session and the rebalance timeout are long here (30 s, 60 s, as in the services): a
// join waits for the dead member up to the shorter of the two, so a member that waited would
// miss every deadline below.
describe('KafkaBus with a static instance id', () => {
  const open: KafkaBus[] = [];
  const children: ChildProcess[] = [];
  let n = 0;
  const name = (what: string) => `s${++n}.${what}`;
  const STATIC: KafkaBusOptions = {
    ...FAST,
    sessionTimeout: 30_000,
    heartbeatInterval: 200,
    rebalanceTimeout: 60_000,
  };
  const bus = (opts: KafkaBusOptions = {}) => {
    const b = new KafkaBus({ ...STATIC, ...opts });
    open.push(b);
    return b;
  };

  afterEach(async () => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    await Promise.all(open.splice(0).map((b) => b.close()));
  });

  it('hands a member killed with SIGKILL its partitions back at once when it restarts', async () => {
    const topic = name('topic');
    const group = name('group');
    const instanceId = `${prefix}${name('runner')}`;
    const setup = bus({ partitions: 4 });
    await setup.ensureGroup(group, [topic]);
    const published = await Promise.all(
      ['a', 'b', 'c', 'd', 'e', 'f'].map((key, i) => setup.publish(topic, key, i)),
    );
    await setup.close();
    // A process of the group reads everything, acknowledges nothing, and is killed.
    const first = readInChild({ ...STATIC, partitions: 4, instanceId }, group, topic);
    children.push(first.child);
    expect((await first.ids).sort()).toEqual([...published].sort());
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    // Its successor, same instance id: the broker gives it the partitions at its first join, long
    // before the dead member's 30 s session would have run out.
    const started = Date.now();
    const successor = bus({ partitions: 4, instanceId });
    const again = await readAtLeast(successor, { group, consumer: 'c', topics: [topic] }, 6);
    const tookMs = Date.now() - started;
    expect(ids(again).sort()).toEqual([...published].sort());
    expect(again.every((m) => m.deliveries === 1)).toBe(true);
    expect(tookMs).toBeLessThan(10_000);
  });

  it('fences the older of two live processes with one instance id: its reads fail and name why', async () => {
    const topic = name('topic');
    const group = name('group');
    const instanceId = `${prefix}${name('twin')}`;
    const older = bus({ partitions: 2, instanceId });
    await older.ensureGroup(group, [topic]);
    await older.read({ group, consumer: 'c', topics: [topic] });
    const newer = bus({ partitions: 2, instanceId });
    await newer.read({ group, consumer: 'c', topics: [topic] });
    // The older one's next heartbeat is refused (FENCED_INSTANCE_ID); it stops and stays out.
    const deadline = Date.now() + 10_000;
    let failure: unknown;
    while (failure === undefined && Date.now() < deadline) {
      failure = await older.read({ group, consumer: 'c', topics: [topic], blockMs: 200 }).then(
        () => undefined,
        (err: unknown) => err,
      );
    }
    expect(failure).toMatchObject({ code: 'BUS_FENCED' });
    expect(String((failure as Error).message)).toContain(`instance id "${instanceId}"`);
    // The newer one owns the group and reads on.
    const id = await newer.publish(topic, 'k', 'after');
    const got = await readAtLeast(newer, { group, consumer: 'c', topics: [topic] }, 1);
    expect(ids(got)).toContain(id);
  });
});

/** A KafkaBus in a process of its own (the built package): reads once and prints the ids. */
function readInChild(
  opts: KafkaBusOptions,
  group: string,
  topic: string,
): { child: ChildProcess; ids: Promise<string[]> } {
  const script = `
    import { KafkaBus } from '@aob/bus';
    const [opts, group, topic] = JSON.parse(process.argv[1]);
    const bus = new KafkaBus(opts);
    await bus.ensureGroup(group, [topic]);
    const got = [];
    while (got.length < 6) got.push(...(await bus.read({ group, consumer: 'c', topics: [topic], blockMs: 500 })));
    process.stdout.write(JSON.stringify(got.map((m) => m.id)) + '\\n');
    setInterval(() => undefined, 60_000); // alive, holding them unacknowledged, until killed
  `;
  const { logLevel: _level, ...plain } = opts;
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', script, JSON.stringify([plain, group, topic])],
    { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const ids = new Promise<string[]>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))) as string[]);
    });
    child.once('exit', (code) => reject(new Error(`the reading process exited (${code})`)));
  });
  return { child, ids };
}
