// Same runs, any topology (issue 4): every example gives the same per-node event sequence and the
// same output on the local engine and on the cluster topology — PostgreSQL event log and outbox,
// Kafka topics, an S3 content store, an orchestrator service and a runner.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCached } from '@aob/core';
import type { KafkaBus } from '@aob/bus';
import type { PgEventStore, S3ContentStore } from '@aob/store';
import { loadHandlers } from '../executors/handlers.js';
import type { TaskHandler } from '../executors/types.js';
import { LocalEngine } from '../local/local-engine.js';
import { perNodeEvents } from '../testing/per-node.js';
import { Runner } from '../runner/runner.js';
import { ClusterClient } from './client.js';
import { OrchestratorService } from './orchestrator-service.js';
import { clusterTag, freshDatabase, kafkaBus, pgStore, s3Store } from './testing.js';

const examples = fileURLToPath(new URL('../../../../examples/', import.meta.url));
const def = (name: string, file = 'workflow.json') =>
  JSON.parse(readFileSync(join(examples, name, file), 'utf8')) as unknown;

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
  for (const name of ['fanout', 'approval', 'subworkflow', 'retry', 'compensate']) {
    handlers = { ...handlers, ...(await loadHandlers(join(examples, name, 'handlers.mjs'))) };
  }
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

  // The subworkflow example's child, registered on both.
  const child = compileCached(def('subworkflow', 'child.json'));
  await content.put(child.definition);
  await store.putWorkflow({
    name: child.name,
    version: child.version,
    irHash: child.irHash,
    registeredAt: Date.now(),
  });
  await local.control.registerWorkflow(def('subworkflow', 'child.json'));
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
      const a = await local.control.wait(localRun, { timeoutMs: 30_000 });
      const b = await client.wait(clusterRun, { timeoutMs: 30_000 });
      expect(b.status).toBe(a.status);
      expect(b.output).toEqual(a.output);
      expect(b.error).toEqual(a.error);
      expect(perNodeEvents(await client.events(clusterRun))).toEqual(
        perNodeEvents(await local.control.events(localRun)),
      );
    },
    60_000,
  );

  it('relayed every committed outbox row, and the events reached aob.workflow.events', async () => {
    await service.relay.idle();
    expect(service.relay.counters.published).toBeGreaterThan(0);
    expect(service.relay.counters.timers).toBeGreaterThan(0); // retry backoff, approval timeout
  });
});
