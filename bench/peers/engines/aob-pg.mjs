// aob's own PostgreSQL deployments, in one process: an orchestrator (OrchestratorService: the
// PostgreSQL event log with its transactional outbox, the outbox relay, timers, stall sweep) and a
// runner, composed as services/orchestrator and services/runner compose them (the adapters of
// `openAdapters` in packages/engine/src/cluster/server.ts), over
//
//   redis  the small install: PostgreSQL + Redis Streams (AOB_BUS=redis) + S3 content store
//   kafka  the cluster: PostgreSQL + Kafka + S3, with the Kafka settings of bench/cluster.mjs
//          (4 partitions a topic, 5 ms fetch wait)
//
// The content store is S3 in both, as the services require (AOB_S3_BUCKET): s3proxy started by
// bench/lib/services.mjs (its in-memory store), or whatever S3_* names. The runner keeps the
// attempt ledger where the runner service keeps it by default (AOB_ATTEMPT_LEDGER): in Redis with
// the Redis bus, in the content store's bucket with Kafka. AOB_PEERS_LEDGER, which run.mjs --ledger
// sets, overrides that: `off` leaves it out (to show what it costs), `redis`, `s3` or `pg` (the
// run's database) puts it there for both. Runner concurrency 32, the service's default (AOB_RUNNER_CONCURRENCY). The orchestrator
// hands its jobs straight to the runner beside it (JobHandoff, as `aob server` does when it runs
// both); AOB_PEERS_HANDOFF=off, which run.mjs --handoff off sets, sends every job over the bus.
//
// Each process gets its own Redis key prefix / Kafka topic prefix and S3 prefix (so measurements
// never see each other's messages), and the fresh database run.mjs passes as --db. The Redis
// keys it made are deleted on close; the private broker's topics go with the broker.
//
// Runs are started the way the API starts them — a RunControl whose driver sends a `start` run
// command on the bus (clusterRunControl) — except that its wait for RunStarted wakes on the
// orchestrator's committed events instead of polling the database every 20 ms (the local engine's
// RunControl does the same). A step is a task node with the no-op handler of
// bench/lib/harness.mjs; its start is NodeStarted as the orchestrator hands its committed batch
// to onEvents (after the PostgreSQL commit). A run has ended when RunCompleted is delivered.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { KafkaBus, RedisStreamsBus } from '@aob/bus';
import {
  CommittedEvents,
  JobHandoff,
  OrchestratorService,
  RunControl,
  Runner,
  busDriver,
  irLoader,
  newId,
} from '@aob/engine';
import { PgEventStore, S3ContentStore } from '@aob/store';
// The three places the runners' attempt ledger may be (AOB_ATTEMPT_LEDGER).
import { PgAttemptLedger, RedisAttemptLedger, S3AttemptLedger } from '@aob/store';
import { handlers } from '../../lib/harness.mjs';
import { dropRedisKeys } from '../../lib/redis-keys.mjs';
import { runEnds } from './run-ends.mjs';

export const durability = {
  redis:
    'PostgreSQL (synchronous_commit as the server has it) holds the log and outbox; Redis Streams (here without persistence) carries jobs and results',
  kafka:
    'PostgreSQL (synchronous_commit as the server has it) holds the log and outbox; Kafka (one broker, default flush: page cache) carries jobs and results',
};

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * AOB_PEERS_PROFILE=1: counts what the process sends — PostgreSQL statements (and COMMITs), Redis
 * commands, S3 requests by command, bus calls by method — and prints the counts, with the steps
 * seen, as one `profile {…}` line on stderr at close; AOB_PEERS_SQL=1 also counts each statement
 * by its first 60 characters. Patched on the client libraries as @aob/store and @aob/bus load them;
 * the counts start once the process is ready, so they include the workload's warm-up.
 */
function profiler() {
  if (process.env.AOB_PEERS_PROFILE !== '1') return undefined;
  const counts = {};
  const bySql = process.env.AOB_PEERS_SQL === '1';
  const count = (k) => (counts[k] = (counts[k] ?? 0) + 1);
  /** Adds a request's time, from now to its settling, to `ms <what>` (overlapping ones add up). */
  const timed = (what, result) => {
    if (typeof result?.then !== 'function') return result;
    const t0 = performance.now();
    const add = () => (counts[`ms ${what}`] = (counts[`ms ${what}`] ?? 0) + performance.now() - t0);
    result.then(add, add);
    return result;
  };
  const fromStore = createRequire(createRequire(import.meta.url).resolve('@aob/store'));
  const fromBus = createRequire(createRequire(import.meta.url).resolve('@aob/bus'));
  const pgClient = fromStore('pg').Client.prototype;
  const query = pgClient.query;
  pgClient.query = function (q, ...rest) {
    const text = typeof q === 'string' ? q : q?.text;
    if (typeof text === 'string') {
      count('pg statements');
      if (/^\s*commit\b/i.test(text)) count('pg COMMIT');
      if (bySql) count(`sql ${q?.name ?? text.replace(/\s+/g, ' ').slice(0, 60)}`);
    }
    return timed('pg', query.call(this, q, ...rest));
  };
  const s3 = fromStore('@aws-sdk/client-s3').S3Client.prototype;
  const send = s3.send;
  s3.send = function (command, ...rest) {
    count(`s3 ${command?.constructor?.name ?? 'request'}`);
    return timed('s3', send.call(this, command, ...rest));
  };
  const redis = fromBus('ioredis').Redis.prototype;
  const sendCommand = redis.sendCommand;
  redis.sendCommand = function (command, ...rest) {
    count(`redis ${String(command?.name ?? 'command').toUpperCase()}`);
    return sendCommand.call(this, command, ...rest);
  };
  /** The bus, its calls counted by method. */
  const wrap = (bus) =>
    new Proxy(bus, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target);
        if (typeof v !== 'function' || typeof prop !== 'string') return v;
        return (...args) => {
          count(`bus ${prop}`);
          return v.apply(target, args);
        };
      },
    });
  /** Forgets what opening took (migrations, topics, groups): counts start with the workload. */
  const reset = () => {
    for (const k of Object.keys(counts)) delete counts[k];
  };
  return { counts, wrap, reset };
}

export async function open({ variant, db, onStep }) {
  if (!(variant in durability)) throw new Error('aob-pg variant must be redis|kafka');
  if (!db) throw new Error('aob-pg: --db postgresql://… is required');
  if (!process.env.S3_ENDPOINT) throw new Error('aob-pg: S3_* not set (bench/lib/services.mjs)');
  if (variant === 'kafka' && !process.env.KAFKA_BROKERS) throw new Error('aob-pg: KAFKA_BROKERS');
  const tag = `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
  const s3Options = {
    endpoint: process.env.S3_ENDPOINT,
    bucket: process.env.S3_BUCKET,
    region: process.env.S3_REGION || 'us-east-1',
    prefix: `peers-${tag}`,
    credentials: {
      accessKeyId: process.env.S3_ACCESS_KEY,
      secretAccessKey: process.env.S3_SECRET_KEY,
    },
    forcePathStyle: true,
  };
  const prefix = `aobpeers${tag}.`;
  const profile = profiler();
  let steps = 0;
  const rawBus =
    variant === 'redis'
      ? new RedisStreamsBus({ url: REDIS_URL, prefix })
      : new KafkaBus({
          brokers: process.env.KAFKA_BROKERS.split(','),
          prefix,
          partitions: 4,
          maxWaitTimeInMs: 5,
          logLevel: 1,
        });
  const bus = profile ? profile.wrap(rawBus) : rawBus;
  const store = await PgEventStore.open({ connectionString: db });
  const content = new S3ContentStore(s3Options);
  // As the services choose it (AOB_ATTEMPT_LEDGER's default), unless run.mjs --ledger says.
  const ledgerAt = process.env.AOB_PEERS_LEDGER ?? (variant === 'redis' ? 'redis' : 's3');
  const ledger =
    ledgerAt === 'off'
      ? undefined
      : ledgerAt === 'redis'
        ? new RedisAttemptLedger({ url: REDIS_URL, prefix })
        : ledgerAt === 'pg'
          ? new PgAttemptLedger({ connectionString: db })
          : new S3AttemptLedger(s3Options);

  const handoff = process.env.AOB_PEERS_HANDOFF === 'off' ? undefined : new JobHandoff();
  const ends = runEnds();
  const committed = new CommittedEvents(); // what RunControl's waits hear, as in `aob server`
  const service = new OrchestratorService({
    events: store,
    content,
    bus,
    instance: `peers-orch-${tag}`,
    ...(handoff ? { handoff } : {}),
    onError: (err) => process.stderr.write(`orchestrator: ${err?.message ?? err}\n`),
    onEvents: (events) => {
      committed.publish(events);
      for (const e of events) {
        if (e.type === 'NodeStarted') {
          steps++;
          onStep();
        } else ends.observe(e);
      }
    },
  });
  const runner = new Runner({
    bus,
    content,
    options: { handlers, allowPrivateNetwork: false },
    concurrency: 32,
    consumer: `peers-runner-${tag}`,
    ...(handoff ? { handoff } : {}),
    ...(ledger ? { attempts: { ledger } } : {}),
  });
  await service.start();
  await runner.start();
  // Consuming with a settled assignment (Kafka: the group joined) before anything is timed.
  for (const since = Date.now(); !(service.ready && runner.ready);) {
    if (Date.now() - since > 60_000) throw new Error('aob-pg: not ready after 60 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  profile?.reset();
  const base = { ...store.stats, published: service.relay.counters?.published ?? 0 };
  const control = new RunControl({
    store,
    content,
    loadIr: irLoader(content),
    driver: busDriver(bus),
    now: Date.now,
    newId,
    changes: committed.changes,
  });

  // RUN_PENDING: the start command is on the bus but no orchestrator applied it within the
  // start wait (1,000 starts at once on a loaded machine); the run starts later and is waited
  // for like any other (bench/cluster.mjs does the same).
  const start = (definition) =>
    control.start(definition, {}).catch((err) => {
      if (err?.code !== 'RUN_PENDING' || !err.details?.runId) throw err;
      return err.details.runId;
    });
  return ends.engineFor(start, async () => {
    if (profile) {
      const perStep = Object.fromEntries(
        Object.entries({
          ...profile.counts,
          'group commit transactions': store.stats.transactions - base.transactions,
          'group commit appends': store.stats.appends - base.appends,
          'outbox rows published': (service.relay.counters?.published ?? 0) - base.published,
        }).map(([k, v]) => [k, { total: v, perStep: Number((v / steps).toFixed(2)) }]),
      );
      process.stderr.write(`profile ${JSON.stringify({ steps, ...perStep })}\n`);
    }
    await runner.stop();
    await service.stop();
    await bus.close();
    await store.close();
    await content.close();
    await ledger?.close();
    if (variant === 'redis' || ledgerAt === 'redis') await dropRedisKeys(REDIS_URL, prefix);
  });
}
