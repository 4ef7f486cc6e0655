// The runner queue on PostgreSQL, Kafka and S3 (runners outside the cluster, ARCHITECTURE §7): an
// agent node with `with.runsOn` is queued for runners of its label and namespace instead of going
// to the job topics; a claim is a lease sealed with a fresh job token; a lease that runs out makes
// the job claimable again (the redelivery), after which the first runner can neither renew nor
// report; the result of the current lease completes the run, once.
import { createRequire } from 'node:module';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CasRef } from '@aob/core';
import type { KafkaBus } from '@aob/bus';
import type { PgEventStore, S3ContentStore } from '@aob/store';
import { hashToken } from '@aob/store';
import { ClusterClient } from './client.js';
import { JobTokenMinter } from './job-tokens.js';
import { OrchestratorService } from './orchestrator-service.js';
import { RunnerDesk } from './runner-desk.js';
import type { RunnerIdentity } from './runner-desk.js';
import { clusterTag, freshDatabase, kafkaBus, pgStore, s3Store } from './testing.js';

const tag = clusterTag();
let db: { url: string; drop: () => Promise<void> };
let store: PgEventStore;
let content: S3ContentStore;
let bus: KafkaBus;
let service: OrchestratorService;
let client: ClusterClient;
let desk: RunnerDesk;

const edgeA: RunnerIdentity = { subject: 'runner:a', namespace: 'acme' };
const edgeB: RunnerIdentity = { subject: 'runner:b', namespace: 'acme' };

const require = createRequire(import.meta.url);
const ajv = new Ajv2020({ allErrors: true, strict: false });
ajv.addSchema(require('@aob/schemas/event.schema.json') as object);
ajv.addSchema(require('@aob/schemas/workflow.schema.json') as object);
const validClaim = ajv.compile(require('@aob/schemas/agent-job.schema.json') as object);

const definition = (name: string, runsOn: string) => ({
  name,
  version: '1',
  nodes: [
    {
      id: 'research',
      type: 'agent',
      with: { framework: 'openai-agents', model: 'fast', prompt: 'Summarise ducks', runsOn },
    },
  ],
  output: '{% nodes.research.output %}',
});

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
    onError: (err) => process.emitWarning(`orchestrator: ${String(err)}`),
  });
  await service.start();
  client = new ClusterClient({ events: store, content, bus });
  desk = new RunnerDesk({
    store,
    content,
    bus,
    tokens: new JobTokenMinter({ store, now: Date.now, instance: `api-${tag}` }),
    pollMs: 50,
  });
}, 120_000);

afterAll(async () => {
  await service?.stop();
  await bus?.close();
  await store?.close();
  await content?.close();
  await db?.drop();
}, 60_000);

async function runOver(runId: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const run = await store.getRun(runId);
    if (run && run.status !== 'running' && run.status !== 'waiting') return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} is still ${run?.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the runner queue', () => {
  it('holds a runsOn agent job for runners of its label and namespace, sealed with a job token', async () => {
    const runId = await client.start(definition('queued', 'edge'), {}, { namespace: 'acme' });
    // Another namespace's runner and a runner of other labels get nothing.
    expect(
      await desk.claim(
        { subject: 'runner:x', namespace: 'beta' },
        { labels: ['edge'], waitMs: 1_500 },
      ),
    ).toBeUndefined();
    expect(await desk.claim(edgeA, { labels: ['gpu'], waitMs: 500 })).toBeUndefined();
    const claim = await desk.claim(edgeA, { labels: ['gpu', 'edge'], waitMs: 10_000 });
    expect(claim).toBeDefined();
    expect(validClaim(JSON.parse(JSON.stringify(claim))), JSON.stringify(validClaim.errors)).toBe(
      true,
    );
    expect(claim!.job).toMatchObject({ runId, nodeId: 'research', attempt: 1, type: 'agent' });
    expect(claim!.lease.deliveries).toBe(1);
    const token = await store.findToken(hashToken(claim!.job.jobToken!.token));
    expect(token).toMatchObject({
      role: 'agent',
      subject: 'agent:research',
      runId,
      namespace: 'acme',
    });
    // Leased: nobody else gets it meanwhile.
    expect(await desk.claim(edgeB, { labels: ['edge'], waitMs: 300 })).toBeUndefined();

    // The attempt's end, reported under the lease, completes the run.
    await desk.report(edgeA, claim!.lease.leaseId, { kind: 'started' });
    const output = await desk.putContent(edgeA, claim!.lease.leaseId, { output: 'ducks swim' });
    await expect(
      desk.report(edgeA, claim!.lease.leaseId, {
        kind: 'succeeded',
        output: { $cas: `sha256:${'0'.repeat(64)}`, size: 2 },
      }),
    ).rejects.toMatchObject({ code: 'CONTENT_NOT_FOUND' });
    expect(await desk.report(edgeA, claim!.lease.leaseId, { kind: 'succeeded', output })).toEqual({
      accepted: true,
      final: true,
    });
    expect(await runOver(runId)).toMatchObject({ status: 'completed' });
    // Finished: the lease says nothing any more.
    await expect(desk.heartbeat(edgeA, claim!.lease.leaseId)).rejects.toMatchObject({
      code: 'LEASE_LOST',
    });
  });

  it('redelivers a job whose lease ran out; the first runner is refused from then on', async () => {
    const runId = await client.start(definition('redelivered', 'edge'), {}, { namespace: 'acme' });
    const first = await desk.claim(edgeA, { labels: ['edge'], waitMs: 10_000, leaseMs: 2_000 });
    expect(first?.job.runId).toBe(runId);
    await desk.report(edgeA, first!.lease.leaseId, { kind: 'started' });
    // Kept alive, nobody else gets it.
    await new Promise((r) => setTimeout(r, 1_200));
    await desk.heartbeat(edgeA, first!.lease.leaseId, 2_000);
    await new Promise((r) => setTimeout(r, 1_200));
    expect(await desk.claim(edgeB, { labels: ['edge'] })).toBeUndefined();
    // Runner A goes silent: its lease runs out and B gets the same attempt.
    const second = await desk.claim(edgeB, { labels: ['edge'], waitMs: 5_000 });
    expect(second?.job).toMatchObject({ runId, nodeId: 'research', attempt: 1 });
    expect(second!.lease.deliveries).toBe(2);
    expect(second!.job.jobToken!.token).not.toBe(first!.job.jobToken!.token);
    await expect(desk.heartbeat(edgeA, first!.lease.leaseId)).rejects.toMatchObject({
      code: 'LEASE_LOST',
    });
    const late = await desk.putContent(edgeB, second!.lease.leaseId, { output: 'from A' });
    await expect(
      desk.report(edgeA, first!.lease.leaseId, { kind: 'succeeded', output: late }),
    ).rejects.toMatchObject({ code: 'LEASE_LOST' });
    // Another namespace's runner cannot speak for B's lease either.
    await expect(
      desk.report({ subject: 'runner:x', namespace: 'beta' }, second!.lease.leaseId, {
        kind: 'started',
      }),
    ).rejects.toMatchObject({ code: 'LEASE_LOST' });

    const output = await desk.putContent(edgeB, second!.lease.leaseId, { output: 'from B' });
    await desk.report(edgeB, second!.lease.leaseId, { kind: 'succeeded', output });
    expect(await runOver(runId)).toMatchObject({ status: 'completed' });
    const events = await client.events(runId);
    const research = events.filter(
      (e) => (e.data as { nodeId?: string }).nodeId === 'research' && e.type.startsWith('Node'),
    );
    expect(research.map((e) => e.type)).toEqual(['NodeScheduled', 'NodeStarted', 'NodeSucceeded']);
    const succeeded = research[2]!.data as { output: CasRef };
    expect(await content.get(succeeded.output)).toEqual({ output: 'from B' });
  });

  it('gives a released lease to the next runner at once, and drops jobs of runs that are over', async () => {
    const runId = await client.start(definition('released', 'edge'), {}, { namespace: 'acme' });
    const first = await desk.claim(edgeA, { labels: ['edge'], waitMs: 10_000, leaseMs: 60_000 });
    expect(first?.job.runId).toBe(runId);
    await desk.release(edgeA, first!.lease.leaseId);
    const second = await desk.claim(edgeB, { labels: ['edge'] });
    expect(second?.job.runId).toBe(runId);
    await desk.release(edgeB, second!.lease.leaseId);
    await client.control.cancel(runId, 'test', 'tester');
    expect(await runOver(runId)).toMatchObject({ status: 'cancelled' });
    expect(await desk.claim(edgeB, { labels: ['edge'], waitMs: 500 })).toBeUndefined();
  });
});
