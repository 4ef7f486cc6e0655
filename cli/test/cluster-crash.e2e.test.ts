// Crash tests of the cluster topology with real processes (issue 4): the orchestrator and the
// runner run as separate `aob server` processes on a private Kafka, PostgreSQL and S3 server, and
// each scenario starts 100 runs of a three-node chain, breaks something mid-flight — kill -9 a
// runner, kill -9 the orchestrator between commit and publish, kill -9 one process running both
// (its jobs handed to its runner in process), SIGKILL the Kafka broker, SIGKILL
// the PostgreSQL postmaster — or delivers results twice, and checks that every run completes, none
// is lost, no node that had finished before the fault ran again, and a node in flight at the
// fault ran at most once more. One summary line per scenario goes to the console.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import kafkajs from 'kafkajs';
import { Topic } from '@aob/core';
import { KafkaBus } from '@aob/bus';
import { PgEventStore, S3ContentStore } from '@aob/store';
import { ClusterClient } from '@aob/engine';
import type { PrivatePostgres, PrivateS3, RunningKafka } from './cluster-harness.js';
import {
  ServiceProcess,
  launchKafka,
  launchPostgres,
  launchS3,
  readMarks,
  sleep,
  writeHandlers,
} from './cluster-harness.js';

const RUNS = 100;
const NODES = ['a', 'b', 'c'];
const SLEEP_MS = 300;
const CHAIN = {
  name: 'crash-chain',
  version: '1',
  nodes: NODES.map((id) => ({ id, type: 'task', with: { handler: 'step' } })),
  edges: [
    { from: 'a', to: 'b' },
    { from: 'b', to: 'c' },
  ],
};

let dir: string;
let kafka: RunningKafka | undefined;
let postgres: PrivatePostgres | undefined;
let s3: PrivateS3 | undefined;
let orchestrator: ServiceProcess;
let runner: ServiceProcess;
let marksFile: string;
/** The services' environment (one private Kafka, PostgreSQL and S3). */
let env: Record<string, string>;
let bus: KafkaBus;
let content: S3ContentStore;
let store: PgEventStore;
let sql: pg.Pool;
let client: ClusterClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aob-crash-'));
  [kafka, postgres, s3] = await Promise.all([launchKafka(), launchPostgres(), launchS3()]);
  const handlers = writeHandlers(dir, SLEEP_MS);
  marksFile = handlers.marks;
  env = {
    AOB_BUS: 'kafka',
    AOB_KAFKA_BROKERS: kafka.brokers,
    AOB_DATABASE_URL: postgres.url,
    AOB_HANDLERS: handlers.file,
    AOB_RUNNER_CONCURRENCY: '64',
    ...s3.env,
  };
  orchestrator = new ServiceProcess('orchestrator', env, join(dir, 'orchestrator.log'));
  runner = new ServiceProcess('runner', env, join(dir, 'runner.log'));
  await orchestrator.start();
  await runner.start();
  bus = new KafkaBus({ brokers: [kafka.brokers], logLevel: kafkajs.logLevel.NOTHING });
  content = new S3ContentStore({
    endpoint: s3.env.AOB_S3_ENDPOINT!,
    bucket: s3.env.AOB_S3_BUCKET!,
    region: 'us-east-1',
    credentials: {
      accessKeyId: s3.env.AWS_ACCESS_KEY_ID!,
      secretAccessKey: s3.env.AWS_SECRET_ACCESS_KEY!,
    },
  });
  store = await PgEventStore.open({ connectionString: postgres.url });
  sql = new pg.Pool({ connectionString: postgres.url, max: 4 });
  sql.on('error', () => undefined);
  client = new ClusterClient({ events: store, content, bus });
}, 180_000);

afterAll(async () => {
  await runner?.close();
  await orchestrator?.close();
  await bus?.close().catch(() => undefined);
  await content?.close().catch(() => undefined);
  await store?.close().catch(() => undefined);
  await sql?.end().catch(() => undefined);
  await Promise.all([kafka?.stop(), postgres?.stop(), s3?.stop()]);
  if (process.env.AOB_KEEP_CRASH_DIR) {
    process.stderr.write(`[crash] logs kept in ${dir}\n`);
  } else if (dir) {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

/** A query that waits out a database restart. */
async function query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<R[]> {
  for (let tries = 0; ; tries++) {
    try {
      return (await sql.query<R>(text, values)).rows;
    } catch (err) {
      if (tries > 200) throw err;
      await sleep(250);
    }
  }
}

async function startRuns(): Promise<string[]> {
  return Promise.all(Array.from({ length: RUNS }, (_, i) => client.start(CHAIN, { i })));
}

/** Waits until `n` executions of these runs have started. */
async function executionsStarted(runIds: readonly string[], n: number): Promise<void> {
  const ids = new Set(runIds);
  const deadline = Date.now() + 60_000;
  while (readMarks(marksFile).filter((m) => ids.has(m.runId)).length < n) {
    if (Date.now() > deadline) throw new Error(`fewer than ${n} executions started in 60 s`);
    await sleep(20);
  }
}

/** Polls until every run is over or the time runs out; the time the last one ended. */
async function allOver(runIds: readonly string[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await query<{ n: string }>(
      `SELECT count(*) AS n FROM runs WHERE run_id = ANY($1) AND status IN ('completed', 'failed', 'cancelled')`,
      [runIds],
    );
    if (Number(rows[0]!.n) === runIds.length) return Date.now();
    if (Date.now() > deadline) return Date.now();
    await sleep(200);
  }
}

interface Figures {
  scenario: string;
  runs: number;
  completed: number;
  lost: number;
  /** Executions again of nodes whose NodeSucceeded was decided before the fault. */
  finishedReexecuted: number;
  /** Executions again of nodes not finished at the fault. */
  inflightReexecuted: number;
  /** Most executions of one node. */
  maxExecutions: number;
  /** NodeSucceeded events beyond one per node (a duplicate decision). */
  duplicateEvents: number;
  recoverySeconds: number;
}

async function measure(
  scenario: string,
  runIds: readonly string[],
  faultAt: number,
  restartedAt: number,
): Promise<Figures> {
  const endedAt = await allOver(runIds, 150_000);
  const status = await query<{ run_id: string; status: string }>(
    'SELECT run_id, status FROM runs WHERE run_id = ANY($1)',
    [runIds],
  );
  const completed = status.filter((r) => r.status === 'completed').length;
  const events = await query<{
    run_id: string;
    type: string;
    at: string;
    data: { nodeId?: string };
  }>(
    `SELECT run_id, type, at, data FROM events WHERE run_id = ANY($1) AND type = 'NodeSucceeded'`,
    [runIds],
  );
  const succeededAt = new Map<string, number>();
  let duplicateEvents = 0;
  for (const e of events) {
    const key = `${e.run_id}/${e.data.nodeId}`;
    if (succeededAt.has(key)) duplicateEvents++;
    else succeededAt.set(key, Number(e.at));
  }
  const ids = new Set(runIds);
  const executions = new Map<string, number>();
  for (const m of readMarks(marksFile)) {
    if (!ids.has(m.runId)) continue;
    const key = `${m.runId}/${m.nodeId}`;
    executions.set(key, (executions.get(key) ?? 0) + 1);
  }
  let finishedReexecuted = 0;
  let inflightReexecuted = 0;
  let maxExecutions = 0;
  for (const [key, n] of executions) {
    maxExecutions = Math.max(maxExecutions, n);
    const at = succeededAt.get(key);
    if (at !== undefined && at < faultAt) finishedReexecuted += n - 1;
    else inflightReexecuted += n - 1;
  }
  const figures: Figures = {
    scenario,
    runs: runIds.length,
    completed,
    lost: runIds.length - completed,
    finishedReexecuted,
    inflightReexecuted,
    maxExecutions,
    duplicateEvents,
    recoverySeconds: Math.round((endedAt - restartedAt) / 100) / 10,
  };
  console.log(
    `[crash] ${scenario}: runs ${figures.runs}, completed ${completed}, lost ${figures.lost}, ` +
      `finished nodes re-executed ${finishedReexecuted}, in-flight re-executions ` +
      `${inflightReexecuted} (max ${maxExecutions} executions of one node), duplicate events ` +
      `${duplicateEvents}, all done ${figures.recoverySeconds} s after the restart`,
  );
  return figures;
}

function expectSound(f: Figures): void {
  expect(f.lost).toBe(0);
  expect(f.completed).toBe(RUNS);
  expect(f.finishedReexecuted).toBe(0);
  expect(f.maxExecutions).toBeLessThanOrEqual(2);
  expect(f.duplicateEvents).toBe(0);
}

describe('crashes of real processes and services', () => {
  it('kill -9 a runner mid-node, then start a new one', async () => {
    const runIds = await startRuns();
    await executionsStarted(runIds, 150); // the a's done, b's in flight
    await runner.kill('SIGKILL');
    const faultAt = Date.now();
    await runner.start();
    const f = await measure('runner kill -9', runIds, faultAt, Date.now());
    expectSound(f);
  }, 240_000);

  it('kill -9 a runner mid-node whose attempt ledger is in PostgreSQL, then start a new one', async () => {
    // AOB_ATTEMPT_LEDGER=pg: the jobs the killed runner had finished but not acknowledged come
    // again from Kafka, and the ledger's table answers them with their outcomes.
    const pgLedger = { AOB_ATTEMPT_LEDGER: 'pg' };
    await runner.stop();
    await runner.start(pgLedger);
    try {
      const runIds = await startRuns();
      await executionsStarted(runIds, 150);
      await runner.kill('SIGKILL');
      const faultAt = Date.now();
      await runner.start(pgLedger);
      const f = await measure('runner kill -9, ledger in PostgreSQL', runIds, faultAt, Date.now());
      expectSound(f);
      const [recorded] = await query<{ n: string }>(
        'SELECT count(*) AS n FROM attempts WHERE outcome IS NOT NULL',
        [],
      );
      expect(Number(recorded!.n)).toBeGreaterThanOrEqual(RUNS * 3);
    } finally {
      await runner.stop();
      await runner.start();
    }
  }, 240_000);

  it('kill -9 the orchestrator between commit and publish, then restart it', async () => {
    await orchestrator.stop();
    await orchestrator.start({ AOB_FAULT_KILL_AFTER_COMMITS: '150' });
    const runIds = await startRuns();
    const how = await orchestrator.exited(90_000);
    expect(how).toBe('SIGKILL');
    const faultAt = Date.now();
    // Outbox rows committed before the crash and not published (a published row is deleted):
    // the new instance publishes them.
    const [left] = await query<{ n: string }>('SELECT count(*) AS n FROM outbox', []);
    await orchestrator.start();
    const f = await measure('orchestrator kill -9 after commit', runIds, faultAt, Date.now());
    expectSound(f);
    const [unsent] = await query<{ n: string }>('SELECT count(*) AS n FROM outbox', []);
    console.log(
      `[crash] orchestrator kill -9 after commit: ${left!.n} outbox rows committed before the kill were left unpublished by it; ${unsent!.n} unsent now`,
    );
    expect(Number(unsent!.n)).toBe(0);
  }, 240_000);

  it('kill -9 a process running orchestrator and runner together, its handed jobs mid-node', async () => {
    // One process holding both: its decisions' jobs go straight to its runner (job-handoff.ts),
    // their outbox rows claimed and unmarked until the results are applied.
    await orchestrator.stop();
    await runner.stop();
    const both = new ServiceProcess('orchestrator,runner', env, join(dir, 'both.log'));
    try {
      await both.start();
      const runIds = await startRuns();
      await executionsStarted(runIds, 150);
      const metrics = await (await fetch(`http://127.0.0.1:${both.httpPort}/metrics`)).text();
      const handed = [...metrics.matchAll(/^aob_jobs_handed_total\{[^}]*\} (\d+)/gm)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
      await both.kill('SIGKILL');
      const faultAt = Date.now();
      // Separate processes take over: the dead process's claims lapse, its rows are swept and
      // published, and the attempt ledger answers the jobs that had finished.
      await orchestrator.start();
      await runner.start();
      const f = await measure('orchestrator+runner kill -9', runIds, faultAt, Date.now());
      console.log(
        `[crash] orchestrator+runner kill -9: ${handed} jobs handed in process before the kill`,
      );
      expect(handed).toBeGreaterThan(0);
      expectSound(f);
      const [unsent] = await query<{ n: string }>(
        'SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL',
        [],
      );
      expect(Number(unsent!.n)).toBe(0);
    } finally {
      await both.close();
    }
  }, 240_000);

  it('SIGKILL the Kafka broker mid-flight and restart it on the same ports and data', async () => {
    const runIds = await startRuns();
    await executionsStarted(runIds, 150);
    const faultAt = Date.now();
    await kafka!.restart('SIGKILL');
    const f = await measure('Kafka SIGKILL + restart', runIds, faultAt, Date.now());
    expectSound(f);
    expect(orchestrator.alive && runner.alive).toBe(true);
  }, 240_000);

  it('SIGKILL the PostgreSQL postmaster mid-flight and start it again', async () => {
    const runIds = await startRuns();
    await executionsStarted(runIds, 150);
    const faultAt = Date.now();
    await postgres!.restart('SIGKILL', 3_000); // down for 3 s: decisions fail meanwhile
    const f = await measure('PostgreSQL SIGKILL + restart', runIds, faultAt, Date.now());
    expectSound(f);
    expect(orchestrator.alive).toBe(true);
  }, 240_000);

  it('a result delivered twice appends nothing and changes no run', async () => {
    const runIds = await startRuns();
    const doneAt = await allOver(runIds, 120_000);
    const before = await logs(runIds);
    const dupes = await republishSucceeded(runIds);
    expect(dupes).toBe(RUNS * NODES.length);
    await consumedAll();
    const after = await logs(runIds);
    expect(after).toEqual(before);
    const f = await measure('duplicate results', runIds, doneAt, Date.now());
    expectSound(f);
    expect(f.inflightReexecuted).toBe(0);
    console.log(
      `[crash] duplicate results: ${dupes} succeeded results published again, 0 events appended`,
    );
  }, 240_000);
});

/** Per run: its status, last seq and event count. */
async function logs(runIds: readonly string[]) {
  return query<{ run_id: string; status: string; last_seq: string; events: string }>(
    `SELECT r.run_id, r.status, r.last_seq, (SELECT count(*) FROM events e WHERE e.run_id = r.run_id) AS events
       FROM runs r WHERE r.run_id = ANY($1) ORDER BY r.run_id`,
    [runIds],
  );
}

const kafkaClient = () =>
  new kafkajs.Kafka({
    clientId: 'aob-crash-test',
    brokers: [kafka!.brokers],
    logLevel: kafkajs.logLevel.NOTHING,
  });

/**
 * Reads the real `succeeded` results of these runs back from `aob.node.results` and publishes the
 * same bytes (key, value, headers) again. How many were published.
 */
async function republishSucceeded(runIds: readonly string[]): Promise<number> {
  const ids = new Set(runIds);
  const k = kafkaClient();
  const admin = k.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(Topic.results);
  await admin.disconnect();
  const remaining = new Map(ends.map((p) => [p.partition, Number(p.high)]));
  const found: kafkajs.Message[] = [];
  const consumer = k.consumer({ groupId: `crash-reader-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: Topic.results, fromBeginning: true });
  const caughtUp = new Promise<void>((resolve) => {
    const check = () => {
      if ([...remaining.values()].every((high) => high <= 0)) resolve();
    };
    check();
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        const value = JSON.parse(message.value!.toString()) as { runId: string; kind: string };
        if (ids.has(value.runId) && value.kind === 'succeeded') {
          found.push({
            key: message.key,
            value: message.value,
            ...(message.headers ? { headers: message.headers } : {}),
          });
        }
        const high = remaining.get(partition) ?? 0;
        if (Number(message.offset) + 1 >= high) remaining.set(partition, 0);
        check();
      },
    });
  });
  await caughtUp;
  await consumer.disconnect();
  const producer = k.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic: Topic.results, acks: -1, messages: found });
  await producer.disconnect();
  return found.length;
}

/** Waits until the orchestrators' group has committed every offset of `aob.node.results`. */
async function consumedAll(): Promise<void> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(Topic.results);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [committed] = await admin.fetchOffsets({
        groupId: 'orchestrators',
        topics: [Topic.results],
      });
      const done = ends.every((end) => {
        const p = committed!.partitions.find((c) => c.partition === end.partition);
        return p !== undefined && Number(p.offset) >= Number(end.high);
      });
      if (done) return;
      if (Date.now() > deadline)
        throw new Error('the orchestrators did not consume the duplicates');
      await sleep(200);
    }
  } finally {
    await admin.disconnect();
  }
}
