// ARCHITECTURE §11 row 4: the cluster topology on one machine — PostgreSQL event log and outbox, Kafka
// topics, an S3 content store (s3proxy here; MinIO in compose), an orchestrator service and a
// runner — everything co-located on this machine's two cores, in this one process (the broker,
// the S3 server and PostgreSQL are their own processes).
//
// Two figures, as in rows 1–3:
// - throughput: --runs runs of a 3-node chain of no-op tasks started at once through the run
//   command topic; node transitions (NodeSucceeded) / (last RunCompleted - first start command),
//   median of --rounds rounds after --warmup;
// - hop latency: --chain-runs runs of a 10-node chain, one at a time; a hop is NodeSucceeded(i) to
//   NodeSucceeded(i+1), both taken when the orchestrator's commit returns (every hop crosses
//   Kafka twice — job and result — plus the started result, PostgreSQL commits and S3 puts).
//
// Services: KAFKA_BROKERS and S3_* (as the integration tests take them) when set; else a private
// Kafka and s3proxy are started (bench/tools/services.ts). PostgreSQL: DATABASE_URL or the
// machine's; the benchmark makes a fresh database and drops it.
//
//   node bench/cluster.mjs [--runs 1000] [--rounds 5] [--warmup 1] [--chain-runs 50]
//                          [--partitions 4] [--concurrency 256] [--tracing] [--json]
//
// --tracing starts tracing from the OTEL_* variables first (bench/tracing.mjs compares).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { KafkaBus } from '@aob/bus';
import { ClusterClient, OrchestratorService, Runner } from '@aob/engine';
import { PgEventStore, S3ContentStore } from '@aob/store';
import {
  chain,
  fmt,
  fmtInt,
  handlers,
  median,
  parseArgs,
  progress,
  report,
  spread,
  summarise,
  traceIf,
} from './lib/harness.mjs';
import { ensureServices } from './lib/services.mjs';

const TARGET = { transitionsPerSec: 3_000, hopP50: 5, hopP99: 25 };

const opts = parseArgs(process.argv.slice(2), {
  runs: 1000,
  rounds: 5,
  warmup: 1,
  chainRuns: 50,
  partitions: 4,
  concurrency: 256,
  tracing: false,
  json: false,
});
const tracing = await traceIf(opts.tracing);

const services = await ensureServices();
const tag = randomBytes(4).toString('hex');
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `aob_bench_${tag}`;
await admin(`CREATE DATABASE ${dbName}`);
const dbUrl = new URL(adminUrl);
dbUrl.pathname = `/${dbName}`;

const store = await PgEventStore.open({ connectionString: dbUrl.toString(), poolSize: 16 });
const content = new S3ContentStore({
  endpoint: process.env.S3_ENDPOINT,
  bucket: process.env.S3_BUCKET,
  region: process.env.S3_REGION || 'us-east-1',
  prefix: `bench-${tag}`,
  credentials: {
    accessKeyId: process.env.S3_ACCESS_KEY,
    secretAccessKey: process.env.S3_SECRET_KEY,
  },
});
const bus = new KafkaBus({
  brokers: process.env.KAFKA_BROKERS.split(','),
  prefix: `bench${tag}.`,
  partitions: opts.partitions,
  maxWaitTimeInMs: 5,
  logLevel: 1,
});

/** Event listeners of the current measurement. */
let onEvents = () => undefined;
const service = new OrchestratorService({
  events: store,
  content,
  bus,
  instance: `bench-orch-${tag}`,
  onEvents: (events) => onEvents(events),
  onError: (err) => progress(`orchestrator: ${err?.message ?? err}`),
});
const runner = new Runner({
  bus,
  content,
  options: { handlers, allowPrivateNetwork: false },
  concurrency: opts.concurrency,
  consumer: `bench-runner-${tag}`,
});
await service.start();
await runner.start();
const client = new ClusterClient({ events: store, content, bus });

try {
  const throughput = await measureThroughput();
  const hops = await measureHops();
  const result = {
    benchmark: 'cluster',
    tracing: opts.tracing,
    runs: opts.runs,
    partitions: opts.partitions,
    rounds: throughput.rounds,
    medianTransitionsPerSec: median(throughput.rounds.map((r) => r.transitionsPerSec)),
    spread: spread(throughput.rounds.map((r) => r.transitionsPerSec)),
    hop: hops.hop,
    succeededToStarted: hops.succeededToStarted,
    runLatency: hops.runLatency,
    relay: service.relay.counters,
    target: { metric: 'medianTransitionsPerSec', op: '>=', value: TARGET.transitionsPerSec },
    targets: TARGET,
  };
  report(opts.json, result, [
    `cluster topology (PostgreSQL + Kafka ${opts.partitions} partitions + S3 + orchestrator + runner, one machine)`,
    `  ${opts.runs} concurrent 3-node runs: ${fmtInt(result.medianTransitionsPerSec)} transitions/s median of ${throughput.rounds.length} (spread ${fmt(result.spread * 100, 0)} %), target ≥ ${fmtInt(TARGET.transitionsPerSec)}`,
    `  10-node chain hop: p50 ${fmt(hops.hop.p50)} ms, p90 ${fmt(hops.hop.p90)} ms, p99 ${fmt(hops.hop.p99)} ms (targets p50 ≤ ${TARGET.hopP50}, p99 ≤ ${TARGET.hopP99})`,
    `  hop split at NodeStarted: succeeded(i) → started(i+1) p50 ${fmt(hops.succeededToStarted.p50)} ms, the rest p50 ${fmt(hops.hop.p50 - hops.succeededToStarted.p50)} ms`,
    `  run latency p50 ${fmt(hops.runLatency.p50, 1)} ms; outbox rows relayed ${fmtInt(result.relay.published)}`,
  ]);
} finally {
  await runner.stop();
  await service.stop();
  await bus.close();
  await store.close();
  await content.close();
  await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  services.stop();
  await tracing.shutdown();
}

async function measureThroughput() {
  const definition = chain(3);
  const rounds = [];
  for (let round = 0; round < opts.warmup + opts.rounds; round++) {
    let transitions = 0;
    let completed = 0;
    let end = 0;
    let done;
    const finished = new Promise((resolve) => (done = resolve));
    onEvents = (events) => {
      for (const e of events) {
        if (e.type === 'NodeSucceeded') transitions++;
        else if (e.type === 'RunCompleted' && ++completed === opts.runs) {
          end = performance.now();
          done();
        }
      }
    };
    const start = performance.now();
    // RUN_PENDING: handed to the orchestrators, which start it later (a loaded machine); its
    // events still count.
    const startOne = () =>
      client.start(definition, {}).catch((err) => {
        if (err?.code !== 'RUN_PENDING') throw err;
      });
    await Promise.all(Array.from({ length: opts.runs }, startOne));
    await finished;
    const seconds = (end - start) / 1000;
    const r = { transitionsPerSec: transitions / seconds, ms: end - start, transitions };
    progress(
      `round ${round + 1}${round < opts.warmup ? ' (warm-up)' : ''}: ${fmtInt(r.transitionsPerSec)} transitions/s, ${fmt(r.ms, 0)} ms`,
    );
    if (round >= opts.warmup) rounds.push(r);
  }
  return { rounds };
}

async function measureHops() {
  const definition = chain(10);
  const hops = [];
  const toStarted = [];
  const runs = [];
  for (let i = 0; i < opts.chainRuns + 5; i++) {
    const succeeded = [];
    const started = [];
    let done;
    const finished = new Promise((resolve) => (done = resolve));
    onEvents = (events) => {
      const now = performance.now();
      for (const e of events) {
        if (e.type === 'NodeSucceeded') succeeded.push(now);
        else if (e.type === 'NodeStarted') started.push(now);
        else if (e.type === 'RunCompleted') done(now);
      }
    };
    const start = performance.now();
    await client.start(definition, {});
    const end = await finished;
    if (i < 5) continue; // warm-up
    for (let k = 1; k < succeeded.length; k++) {
      hops.push(succeeded[k] - succeeded[k - 1]);
      toStarted.push(started[k] - succeeded[k - 1]);
    }
    runs.push(end - start);
  }
  return {
    hop: summarise(hops),
    succeededToStarted: summarise(toStarted),
    runLatency: summarise(runs),
  };
}

async function admin(sql) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
