// Two fanout replicas on one real bus (Redis Streams, Kafka) and a real PostgreSQL store serve
// the same run: each replica reads aob.workflow.events in a group of its own, so clients on
// either one get exactly seqs 1..n, once, in order — through lost and repeated announcements,
// and with the topic's older backlog skipped ("start at now").
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRunEvent } from '@aob/core';
import { Topic } from '@aob/core';
import type { Bus } from '@aob/bus';
import { KafkaBus, RedisStreamsBus } from '@aob/bus';
import { PgEventStore } from '@aob/store';
import { Fanout } from './hub.js';
import { BusLiveSource } from './live-source.js';
import { listenTimelines } from './server.js';
import { TimelineStreams } from './sse.js';
import {
  SseClient,
  append,
  completed,
  log,
  portOf,
  started,
  testAuthenticate,
} from './test-support.js';

const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `aob_fanout_${randomUUID().slice(0, 8)}`;
let store: PgEventStore;

beforeAll(async () => {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  try {
    await c.connect();
  } catch (err) {
    throw new Error(`PostgreSQL is not reachable at ${adminUrl}: ${String(err)}`);
  }
  await c.query(`CREATE DATABASE ${dbName}`);
  await c.end();
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  store = await PgEventStore.open({ connectionString: url.toString(), poolSize: 4 });
});

afterAll(async () => {
  await store?.close();
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await c.end();
});

interface Replica {
  bus: Bus;
  source: BusLiveSource;
  fanout: Fanout;
  streams: TimelineStreams;
  server: Server;
}

async function replica(bus: Bus, name: string): Promise<Replica> {
  const source = new BusLiveSource({ bus, group: `aob.fanout.${name}`, blockMs: 200 });
  const fanout = new Fanout({ store, source, tailCheckMs: 500 });
  await fanout.start();
  const streams = new TimelineStreams(fanout, { heartbeatMs: 1_000 });
  const server = await listenTimelines(streams, testAuthenticate, 0, '127.0.0.1');
  return { bus, source, fanout, streams, server };
}

async function stop(r: Replica): Promise<void> {
  await r.fanout.stop();
  r.streams.close();
  r.server.closeAllConnections();
  await new Promise((res) => r.server.close(res));
  await r.bus.close();
}

async function scenario(makeBus: () => Bus, joinMs: number): Promise<void> {
  const publisher = makeBus();
  const runId = `run-${randomUUID()}`;
  // A backlog older than the replicas: acknowledged and skipped, never looked up.
  const old = Date.now() - 2 * 3_600_000;
  for (let i = 1; i <= 5; i++) {
    await publisher.publish(Topic.events, `old-${i}`, {
      runId: `old-${i}`,
      seq: 1,
      type: 'RunStarted',
      at: old,
      irHash: 'ir',
      data: {},
    });
  }
  const replicas = [await replica(makeBus(), `${runId}-a`), await replica(makeBus(), `${runId}-b`)];
  const clients: SseClient[] = [];
  try {
    const announce = (e: AnyRunEvent) => publisher.publish(Topic.events, e.runId, e);
    const publish = async (
      e: Parameters<typeof append>[2],
      how: 'once' | 'lost' | 'twice' = 'once',
    ) => {
      const env = await append(store, runId, e);
      if (how !== 'lost') await announce(env);
      if (how === 'twice') await announce(env);
      return env;
    };
    await publish(started('a'));
    for (const r of replicas) {
      clients.push(
        await SseClient.open(portOf(r.server), `/v1/runs/${runId}/timeline`, {
          authorization: 'Bearer ns:a',
        }),
      );
    }
    // Let the groups join (Kafka) so the live path, not only the store, is exercised.
    await new Promise((res) => setTimeout(res, joinMs));
    const n = 60;
    for (let i = 2; i < n; i++) {
      await publish(log(`m${i}`), i % 17 === 0 ? 'lost' : i % 13 === 0 ? 'twice' : 'once');
      if (i === 30) {
        for (const r of replicas) {
          clients.push(
            await SseClient.open(portOf(r.server), `/v1/runs/${runId}/timeline`, {
              authorization: 'Bearer ns:a',
            }),
          );
        }
      }
    }
    await publish(completed());
    for (const c of clients) {
      await c.until((x) => x.ended, 20_000);
      expect(c.seqs()).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect(c.frames.at(-1)?.event).toBe('end');
    }
    for (const r of replicas) {
      expect(r.source.skipped).toBeGreaterThanOrEqual(5);
      expect(r.fanout.counters.live).toBeGreaterThan(n / 2); // live, not only store reads
    }
  } finally {
    for (const c of clients) c.close();
    for (const r of replicas) await stop(r);
    await publisher.close();
  }
}

describe('two fanout replicas on one bus', () => {
  it('Redis Streams: both serve the same run exactly once, in order', async () => {
    const prefix = `aobtest-${randomUUID().slice(0, 8)}:`;
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    await scenario(() => new RedisStreamsBus({ url, prefix }), 300);
  }, 60_000);

  it('Kafka: both serve the same run exactly once, in order', async () => {
    const brokers = process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim());
    if (!brokers?.length) {
      throw new Error('KAFKA_BROKERS is not set: the integration global setup starts Kafka');
    }
    const prefix = `aobtest-${randomUUID().slice(0, 8)}.`;
    await scenario(
      () =>
        new KafkaBus({
          brokers,
          prefix,
          sessionTimeout: 6_000,
          heartbeatInterval: 200,
          rebalanceTimeout: 5_000,
          maxWaitTimeInMs: 100,
          logLevel: kafkajs.logLevel.ERROR,
        }),
      4_000,
    );
  }, 90_000);
});
