// An orchestrator and a runner in one process, meeting through a JobHandoff (job-handoff.ts), on
// the small install's services: the PostgreSQL event log and outbox, Redis Streams, the attempt
// ledger in Redis, an S3 content store. Every example gives the same per-node events and output
// as on the local engine; the jobs went straight to the runner, not over the bus; and every
// outbox row ends marked sent.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Topic } from '@aob/core';
import { RedisStreamsBus } from '@aob/bus';
import type { PgEventStore, S3ContentStore } from '@aob/store';
import { RedisAttemptLedger } from '@aob/store';
import { LocalEngine } from '../local/local-engine.js';
import {
  exampleDefinition as def,
  exampleHandlers,
  expectSameRun,
  registerSubworkflowChild,
} from '../testing/examples.js';
import { JOB_TOPICS, Runner } from '../runner/runner.js';
import { ClusterClient } from './client.js';
import { JobHandoff } from './job-handoff.js';
import { OrchestratorService } from './orchestrator-service.js';
import { clusterTag, freshDatabase, pgStore, s3Store } from './testing.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const CASES: { example: string; inputs: Record<string, unknown> }[] = [
  { example: 'fanout', inputs: { words: ['a', 'b', 'c', 'd', 'e'] } },
  { example: 'subworkflow', inputs: { name: 'Ada' } },
  { example: 'retry', inputs: {} },
  { example: 'compensate', inputs: {} },
];

const tag = clusterTag();
const prefix = `aob-handoff-${randomUUID()}:`;
let db: { url: string; drop: () => Promise<void> };
let store: PgEventStore;
let content: S3ContentStore;
let bus: RedisStreamsBus;
let ledger: RedisAttemptLedger;
let service: OrchestratorService;
let runner: Runner;
let client: ClusterClient;
let local: LocalEngine;

beforeAll(async () => {
  const handlers = await exampleHandlers(CASES.map((c) => c.example));
  db = await freshDatabase(tag);
  store = await pgStore(db.url);
  content = s3Store(tag);
  bus = new RedisStreamsBus({ url: REDIS_URL, prefix });
  ledger = new RedisAttemptLedger({ url: REDIS_URL, prefix });
  const handoff = new JobHandoff();
  service = new OrchestratorService({
    events: store,
    content,
    bus,
    instance: `orch-${tag}`,
    handoff,
    onError: (err) => process.emitWarning(`orchestrator: ${String(err)}`),
  });
  runner = new Runner({
    bus,
    content,
    options: { handlers, allowPrivateNetwork: false },
    concurrency: 8,
    consumer: `runner-${tag}`,
    attempts: { ledger },
    handoff,
  });
  await service.start();
  await runner.start();
  client = new ClusterClient({ events: store, content, bus });
  local = await LocalEngine.open({ store: 'memory', handlers });
  await registerSubworkflowChild(content, store, local);
}, 120_000);

afterAll(async () => {
  await local?.close();
  await runner?.stop();
  await service?.stop();
  await bus?.close();
  await ledger?.close();
  await store?.close();
  await content?.close();
  await db?.drop();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}, 60_000);

describe('an orchestrator and a runner in one process, handing jobs over', () => {
  it.each(CASES.map((c) => [`${c.example} ${JSON.stringify(c.inputs)}`, c]))(
    '%s',
    async (_name, c) => {
      const definition = def(c.example);
      const localRun = await local.control.start(definition, c.inputs);
      const clusterRun = await client.start(definition, c.inputs);
      await expectSameRun(local, localRun, client, clusterRun);
    },
    60_000,
  );

  it('sent the jobs to the runner directly and marked every outbox row sent', async () => {
    await service.relay.idle();
    const { handed, published, timers } = service.relay.counters;
    expect(handed).toBeGreaterThan(10);
    // Nothing went to the job topics: no job was refused (8 slots, at most 5 jobs at once).
    const redis = new Redis(REDIS_URL);
    try {
      const lengths = await Promise.all(JOB_TOPICS.map((t) => redis.xlen(`${prefix}${t}`)));
      expect(lengths).toEqual([0, 0, 0]);
      // The results came back in process too.
      expect(await redis.xlen(`${prefix}${Topic.results}`)).toBe(0);
    } finally {
      redis.disconnect();
    }
    // Every outbox message was a job: none was published. Timers (the retry's backoff) are
    // written to the timers table as before.
    expect(published).toBe(0);
    expect(timers).toBeGreaterThan(0);
    for (let i = 0; i < 50 && (await store.countUnsentOutbox()) > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await store.countUnsentOutbox()).toBe(0);
  });
});
