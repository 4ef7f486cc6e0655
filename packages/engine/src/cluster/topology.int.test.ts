// Same runs, any topology (issue 4): every example gives the same per-node event sequence and the
// same output on the local engine and on the cluster topology — PostgreSQL event log and outbox,
// Kafka topics, an S3 content store, an orchestrator service and a runner.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaBus } from '@aob/bus';
import type { PgEventStore, S3ContentStore } from '@aob/store';
import type { TaskHandler } from '../executors/types.js';
import { LocalEngine } from '../local/local-engine.js';
import {
  exampleDefinition as def,
  exampleHandlers,
  expectSameRun,
  registerSubworkflowChild,
} from '../testing/examples.js';
import { Runner } from '../runner/runner.js';
import { ClusterClient } from './client.js';
import { OrchestratorService } from './orchestrator-service.js';
import { clusterTag, freshDatabase, kafkaBus, pgStore, s3Store } from './testing.js';

interface Case {
  example: string;
  inputs: Record<string, unknown>;
  /** A person's decision while the run waits. */
  approve?: 'approved' | 'rejected';
}
const CASES: Case[] = [
  { example: 'fanout', inputs: { words: ['a', 'b', 'c', 'd', 'e'] } },
  { example: 'approval', inputs: { amount: 70 }, approve: 'approved' },
  { example: 'approval', inputs: { amount: 70 }, approve: 'rejected' },
  { example: 'approval', inputs: { amount: 70, timeoutMs: 300 } },
  { example: 'subworkflow', inputs: { name: 'Ada' } },
  { example: 'retry', inputs: {} },
  { example: 'compensate', inputs: {} },
];

let handlers: Record<string, TaskHandler> = {};
const tag = clusterTag();
let db: { url: string; drop: () => Promise<void> };
let store: PgEventStore;
let content: S3ContentStore;
let bus: KafkaBus;
let service: OrchestratorService;
let runner: Runner;
let client: ClusterClient;
let local: LocalEngine;

beforeAll(async () => {
  handlers = await exampleHandlers(['fanout', 'approval', 'subworkflow', 'retry', 'compensate']);
  db = await freshDatabase(tag);
  store = await pgStore(db.url);
  content = s3Store(tag);
  bus = kafkaBus(tag);
  service = new OrchestratorService({
    events: store,
    content,
    bus,
    instance: `orch-${tag}`,
    onError: (err) => process.emitWarning(`orchestrator: ${String(err)}`),
  });
  runner = new Runner({
    bus,
    content,
    options: { handlers, allowPrivateNetwork: false },
    concurrency: 32,
    consumer: `runner-${tag}`,
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
  await store?.close();
  await content?.close();
  await db?.drop();
}, 60_000);

describe('the cluster topology runs every example as the local engine does', () => {
  it.each(CASES.map((c) => [`${c.example} ${JSON.stringify(c.inputs)} ${c.approve ?? ''}`, c]))(
    '%s',
    async (_name, c) => {
      const definition = def(c.example);
      const localRun = await local.control.start(definition, c.inputs);
      const clusterRun = await client.start(definition, c.inputs);
      if (c.approve) {
        await local.control.wait(localRun, { untilSettled: true });
        const ticket = (await local.control.approvals()).find((t) => t.runId === localRun);
        await local.control.approve(ticket!.ticketId, c.approve, 'ada');
        const settled = await client.wait(clusterRun, { untilSettled: true, timeoutMs: 30_000 });
        const ticketId = settled.waitingOn![0]!;
        await client.send(clusterRun, {
          type: 'approve',
          ticketId,
          decision: c.approve,
          by: 'ada',
        });
      }
      await expectSameRun(local, localRun, client, clusterRun);
    },
    60_000,
  );

  it('relayed every committed outbox row, and the events reached aob.workflow.events', async () => {
    await service.relay.idle();
    expect(service.relay.counters.published).toBeGreaterThan(0);
    expect(service.relay.counters.timers).toBeGreaterThan(0); // retry backoff, approval timeout
  });
});
