// Schedules in the cluster topology (PostgreSQL, Kafka, S3): two orchestrator replicas each run
// the scheduler over one schedule store; an every-second schedule's ticks each start one run
// (one RunStarted, recording the tick), none is skipped, while one replica stops half-way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaBus } from '@aob/bus';
import type { PgEventStore, S3ContentStore } from '@aob/store';
import { Runner } from '../runner/runner.js';
import { ScheduleControl } from '../schedules/schedule-control.js';
import { clusterRunControl } from './client.js';
import { OrchestratorService } from './orchestrator-service.js';
import { clusterTag, freshDatabase, kafkaBus, pgStore, s3Store } from './testing.js';

const tag = clusterTag();
let db: { url: string; drop: () => Promise<void> };
let store: PgEventStore;
let content: S3ContentStore;
let bus: KafkaBus;
let replicas: OrchestratorService[] = [];
let runner: Runner;

const ticker = {
  name: 'ticker',
  version: '1',
  nodes: [{ id: 'a', type: 'transform', with: { value: 1 } }],
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  db = await freshDatabase(tag);
  store = await pgStore(db.url);
  content = s3Store(tag);
  bus = kafkaBus(tag);
  replicas = ['a', 'b'].map(
    (name) =>
      new OrchestratorService({
        events: store,
        content,
        bus,
        instance: `orch-${tag}-${name}`,
        schedulerPollMs: 100,
        onError: (err) => process.emitWarning(`orchestrator ${name}: ${String(err)}`),
      }),
  );
  runner = new Runner({
    bus,
    content,
    options: { handlers: {}, allowPrivateNetwork: false },
    concurrency: 16,
    consumer: `runner-${tag}`,
  });
  await Promise.all(replicas.map((r) => r.start()));
  await runner.start();
}, 120_000);

afterAll(async () => {
  await runner?.stop();
  await Promise.all(replicas.map((r) => r.stop()));
  await bus?.close();
  await store?.close();
  await content?.close();
  await db?.drop();
}, 60_000);

describe('schedules on the cluster', () => {
  it('two schedulers start each tick of an every-second schedule once, one stopping half-way', async () => {
    const control = clusterRunControl({ events: store, content, bus });
    await control.registerWorkflow(ticker);
    const schedules = new ScheduleControl({ store, control });
    const s = await schedules.create(
      { workflow: 'ticker', every: '1s', overlap: 'allow' },
      { namespace: 'default', by: 'test' },
    );
    await sleep(4_000);
    await replicas[0]!.stop();
    await sleep(4_000);
    await schedules.pause(s.scheduleId, 'default', 'end of the test');
    // Starts handed over shortly before the pause are applied by the owning orchestrator.
    await sleep(2_000);

    const runs = await store.listRuns({ namespace: 'default' });
    const ticks: number[] = [];
    for (const r of runs) {
      const started = (await store.read(r.runId)).filter((e) => e.type === 'RunStarted');
      expect(started, r.runId).toHaveLength(1);
      const by = (started[0]!.data as { schedule?: { scheduleId: string; tick: number } }).schedule;
      expect(by?.scheduleId).toBe(s.scheduleId);
      ticks.push(by!.tick);
    }
    ticks.sort((a, b) => a - b);
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(ticks.length).toBeGreaterThanOrEqual(6);
    // No tick between the first and the last is missing.
    expect((ticks.at(-1)! - ticks[0]!) / 1_000 + 1).toBe(ticks.length);
    const view = await schedules.get(s.scheduleId, 'default');
    expect(view.counts.started).toBe(ticks.length);
  }, 60_000);
});
