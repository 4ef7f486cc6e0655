// A run whose job is lost (taken off the job topic and never executed: a consumer that dropped
// it, an offset committed past it) is noticed by the stall sweep and re-driven, on PostgreSQL,
// Kafka and S3: the attempt's job goes out again, a NodeRedispatched event says so, and the run
// completes with the node executed once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topic } from '@aob/core';
import type { KafkaBus } from '@aob/bus';
import type { PgEventStore, S3ContentStore } from '@aob/store';
import { MemoryAttemptLedger } from '@aob/store';
import { Runner } from '../runner/runner.js';
import { JOB_TOPICS } from '../runner/runner.js';
import { ClusterClient } from './client.js';
import { OrchestratorService } from './orchestrator-service.js';
import { clusterTag, freshDatabase, kafkaBus, pgStore, s3Store } from './testing.js';

const tag = clusterTag();
let db: { url: string; drop: () => Promise<void> };
let store: PgEventStore;
let content: S3ContentStore;
let bus: KafkaBus;
let service: OrchestratorService;
let client: ClusterClient;
const stops: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  db = await freshDatabase(tag);
  store = await pgStore(db.url);
  content = s3Store(tag);
  bus = kafkaBus(tag);
  service = new OrchestratorService({
    events: store,
    content,
    bus,
    instance: `orch-${tag}`,
    stalls: { quietMs: 1_500, graceMs: 500, periodMs: 500 },
    onError: (err) => process.emitWarning(`orchestrator: ${String(err)}`),
  });
  await service.start();
  client = new ClusterClient({ events: store, content, bus });
}, 120_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await service?.stop();
  await bus?.close();
  await store?.close();
  await content?.close();
  await db?.drop();
}, 60_000);

describe('the stall sweep', () => {
  it('re-drives a run whose job was lost; the run completes, the node ran once', async () => {
    const definition = {
      name: 'lost-job',
      version: '1',
      nodes: [
        { id: 'a', type: 'task', with: { handler: 'work' }, timeoutMs: 1_000 },
        { id: 'b', type: 'transform', with: { value: '{% nodes.a.output.n + 1 %}' } },
      ],
      edges: [{ from: 'a', to: 'b' }],
      output: '{% nodes.b.output %}',
    };
    // A runner-group member that takes the first job and drops it, acknowledged.
    await bus.ensureGroup('runners', JOB_TOPICS);
    const runId = await client.start(definition, {});
    let dropped: unknown;
    const deadline = Date.now() + 30_000;
    while (dropped === undefined && Date.now() < deadline) {
      const got = await bus.read({
        group: 'runners',
        consumer: 'thief',
        topics: JOB_TOPICS,
        blockMs: 500,
      });
      for (const m of got) await bus.ack('runners', m.topic, [m.id]);
      dropped = got.find((m) => (m.value as { runId: string }).runId === runId);
    }
    expect(dropped).toBeDefined();
    expect(dropped).toMatchObject({ topic: Topic.jobsMedium });

    // Now a real runner: only the re-sent job can reach it.
    const executions: number[] = [];
    const runner = new Runner({
      bus,
      content,
      options: {
        handlers: {
          work: (_input, ctx) => {
            executions.push(ctx.attempt);
            return { n: 41 };
          },
        },
        allowPrivateNetwork: false,
      },
      concurrency: 4,
      consumer: `runner-${tag}`,
      attempts: { ledger: new MemoryAttemptLedger() },
    });
    await runner.start();
    stops.push(() => runner.stop());

    const view = await client.wait(runId, { timeoutMs: 30_000 });
    expect(view.status).toBe('completed');
    expect(view.output).toBe(42);
    expect(executions).toEqual([1]);
    const events = await client.events(runId);
    const redispatched = events.filter((e) => e.type === 'NodeRedispatched');
    expect(redispatched).toHaveLength(1);
    expect(redispatched[0]!.data).toMatchObject({ nodeId: 'a', attempt: 1 });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  }, 60_000);
});
