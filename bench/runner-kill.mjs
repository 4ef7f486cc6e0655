// ARCHITECTURE §11 row 5: a runner killed with `kill -9` mid-run, on the cluster topology. --runs runs
// of a --length-node chain whose task sleeps --task-ms go through one runner process
// (`aob server` with AOB_SERVICES=runner, as the image runs it); when about half the nodes have finished,
// the runner is killed with SIGKILL and a new one started at once. The orchestrator runs in this
// process on PostgreSQL, Kafka and S3 (bench/lib/services.mjs).
//
// --bus kafka (default): with --membership static (default) both runner processes carry the same
// AOB_KAFKA_INSTANCE_ID, as a pod restarted by Kubernetes does, and the broker hands the new one
// the dead one's partitions at its first join. With --membership dynamic (no instance id) a dead
// member's partitions move after its session timeout (--session-ms; the broker's floor is 6 s), so
// that bounds the resume. --bus redis (Redis Streams, the small install's bus): the dead
// consumer's pending jobs go to the new one after --redeliver-ms idle (live jobs are heartbeated
// so they are not taken while their runner lives). --ledger s3|redis|pg: the runners' attempt ledger
// (AOB_ATTEMPT_LEDGER; default the services' own: s3 with Kafka, redis with Redis Streams; pg: the
// benchmark's database).
//
// Figures: resume time = from starting the new runner process to the first node it starts
// executing (and, apart, to its /readyz answering 200: node, the engine and the bus connection);
// lost runs (not completed); finished nodes executed again (a node whose NodeSucceeded was
// committed before the kill and whose handler ran again afterwards); nodes in flight at the kill
// executed again (at most once each is allowed). Executions are counted by the handler itself: one
// line per execution appended to a file, with the runner's pid.
//
//   node bench/runner-kill.mjs [--bus kafka|redis] [--membership static|dynamic]
//                              [--ledger s3|redis|pg] [--runs 100]
//                              [--length 4] [--task-ms 150] [--session-ms 6000]
//                              [--redeliver-ms 600] [--json]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { KafkaBus, RedisStreamsBus } from '@aob/bus';
import { ClusterClient, OrchestratorService } from '@aob/engine';
import { PgEventStore, S3ContentStore } from '@aob/store';
import { fmt, parseArgs, progress, report } from './lib/harness.mjs';
import { freePort } from './lib/ports.mjs';
import { ensureServices } from './lib/services.mjs';

const REPO = dirname(dirname(fileURLToPath(import.meta.url)));
const TARGET = { resumeMs: 1_000, lost: 0, reExecutedFinished: 0 };
const opts = parseArgs(process.argv.slice(2), {
  runs: 100,
  length: 4,
  taskMs: 150,
  sessionMs: 6_000,
  bus: 'kafka',
  membership: 'static',
  ledger: '',
  redeliverMs: 600,
  json: false,
});
if (opts.bus !== 'kafka' && opts.bus !== 'redis') throw new Error('--bus must be kafka or redis');
if (opts.membership !== 'static' && opts.membership !== 'dynamic')
  throw new Error('--membership must be static or dynamic');
if (opts.ledger === '') opts.ledger = opts.bus === 'kafka' ? 's3' : 'redis';
if (!['s3', 'redis', 'pg'].includes(opts.ledger))
  throw new Error('--ledger must be s3, redis or pg');

const services = await ensureServices();
const tag = randomBytes(4).toString('hex');
const work = mkdtempSync(join(tmpdir(), 'aob-kill-'));
const execLog = join(work, 'executions.ndjson');
const handlersFile = join(work, 'handlers.mjs');
writeFileSync(
  handlersFile,
  `import { appendFileSync } from 'node:fs';
export async function step(_input, ctx) {
  appendFileSync(${JSON.stringify(execLog)}, JSON.stringify({ runId: ctx.runId, nodeId: ctx.nodeId, attempt: ctx.attempt, pid: process.pid, at: Date.now() }) + '\\n');
  await new Promise((r) => setTimeout(r, ${opts.taskMs}));
  return ctx.nodeId;
}
`,
);
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `aob_kill_${tag}`;
await admin(`CREATE DATABASE ${dbName}`);
const dbUrl = new URL(adminUrl);
dbUrl.pathname = `/${dbName}`;
const prefix = `kill${tag}.`;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const s3Prefix = `kill-${tag}`;

const store = await PgEventStore.open({ connectionString: dbUrl.toString() });
const content = new S3ContentStore({
  endpoint: process.env.S3_ENDPOINT,
  bucket: process.env.S3_BUCKET,
  region: process.env.S3_REGION || 'us-east-1',
  prefix: s3Prefix,
  credentials: {
    accessKeyId: process.env.S3_ACCESS_KEY,
    secretAccessKey: process.env.S3_SECRET_KEY,
  },
});
const bus =
  opts.bus === 'kafka'
    ? new KafkaBus({
        brokers: process.env.KAFKA_BROKERS.split(','),
        prefix,
        partitions: 4,
        maxWaitTimeInMs: 20,
        sessionTimeout: opts.sessionMs,
        heartbeatInterval: Math.floor(opts.sessionMs / 10),
        redeliverAfterMs: opts.redeliverMs,
        logLevel: 1,
      })
    : new RedisStreamsBus({ url: redisUrl, prefix, redeliverAfterMs: opts.redeliverMs });
/** Commit time of every NodeSucceeded, by run/node. */
const succeededAt = new Map();
let completed = 0;
let allDone;
const finished = new Promise((resolve) => (allDone = resolve));
const service = new OrchestratorService({
  events: store,
  content,
  bus,
  instance: `kill-orch-${tag}`,
  onEvents: (events) => {
    const now = Date.now();
    for (const e of events) {
      if (e.type === 'NodeSucceeded') succeededAt.set(`${e.runId}/${e.data.nodeId}`, now);
      if (e.type === 'RunCompleted' && ++completed === opts.runs) allDone();
    }
  },
});
await service.start();
const client = new ClusterClient({ events: store, content, bus });

const definition = {
  name: 'kill-chain',
  version: '1',
  nodes: Array.from({ length: opts.length }, (_, i) => ({
    id: `n${i + 1}`,
    type: 'task',
    with: { handler: 'step' },
  })),
  edges: Array.from({ length: opts.length - 1 }, (_, i) => ({
    from: `n${i + 1}`,
    to: `n${i + 2}`,
  })),
};

let runner;
try {
  runner = await startRunner();
  await runner.ready;
  const runIds = await Promise.all(
    Array.from({ length: opts.runs }, () => client.start(definition, {})),
  );
  const total = opts.runs * opts.length;
  while (succeededAt.size < total / 2) await sleep(10);
  const killedAt = Date.now();
  const startedByKilled = lines().filter((l) => l.pid === runner.pid).length;
  runner.child.kill('SIGKILL');
  progress(`killed runner ${runner.pid} after ${succeededAt.size}/${total} nodes finished`);
  const finishedBeforeKill = new Set(succeededAt.keys());
  const restartAt = performance.now();
  const restartWall = Date.now();
  runner = await startRunner();
  const readyMs = (await runner.ready) - restartAt;
  let firstNewMs;
  while (firstNewMs === undefined) {
    const first = lines().find((l) => l.pid === runner.pid);
    if (first) firstNewMs = first.at - restartWall;
    else await sleep(5);
  }
  const allDoneMs = await Promise.race([
    finished.then(() => performance.now() - restartAt),
    // unref'd: a finished benchmark must not wait for this timer to exit
    new Promise((r) => setTimeout(r, 120_000).unref()).then(() => undefined),
  ]);
  progress(
    `completed ${completed}/${opts.runs} runs; ${allDoneMs === undefined ? 'not all within 120 s' : `all ${fmt(allDoneMs, 0)} ms after the restart`}`,
  );
  const summaries = await Promise.all(runIds.map((id) => store.getRun(id)));
  const lost = summaries.filter((s) => s?.status !== 'completed').length;
  const executions = new Map();
  for (const l of lines()) {
    const key = `${l.runId}/${l.nodeId}`;
    executions.set(key, (executions.get(key) ?? 0) + 1);
  }
  let reExecutedFinished = 0;
  let reExecutedInFlight = 0;
  let moreThanTwice = 0;
  for (const [key, n] of executions) {
    if (n > 1 && finishedBeforeKill.has(key)) reExecutedFinished++;
    else if (n === 2) reExecutedInFlight++;
    if (n > 2) moreThanTwice++;
  }
  const result = {
    benchmark: 'runner-kill',
    runs: opts.runs,
    nodes: total,
    finishedBeforeKill: finishedBeforeKill.size,
    startedByKilledRunner: startedByKilled,
    resumeMs: firstNewMs,
    resumeAfterReadyMs: firstNewMs - readyMs,
    allDoneMs: allDoneMs ?? null,
    readyMs,
    lost,
    reExecutedFinished,
    reExecutedInFlight,
    moreThanTwice,
    bus: opts.bus,
    membership: opts.bus === 'kafka' ? opts.membership : null,
    ledger: opts.ledger,
    sessionTimeoutMs: opts.sessionMs,
    redeliverAfterMs: opts.redeliverMs,
    killedAt,
    target: { metric: 'resumeMs', op: '<=', value: TARGET.resumeMs },
  };
  report(opts.json, result, [
    `runner killed with kill -9 mid-run (${opts.runs} runs × ${opts.length} nodes, ${opts.taskMs} ms tasks; ${opts.bus === 'kafka' ? `Kafka, ${opts.membership} membership, session ${opts.sessionMs} ms, ${opts.ledger} ledger` : `Redis Streams, redelivery after ${opts.redeliverMs} ms idle`})`,
    `  resumed: the new runner started its first node ${fmt(firstNewMs, 0)} ms after its process was started, ${fmt(firstNewMs - readyMs, 0)} ms after it was ready (/readyz at ${fmt(readyMs, 0)} ms); target ≤ ${TARGET.resumeMs} ms`,
    `  lost runs ${lost} (target 0); finished nodes executed again ${reExecutedFinished} (target 0); in-flight nodes executed once more ${reExecutedInFlight}; more than twice ${moreThanTwice}`,
  ]);
} finally {
  runner?.child.kill('SIGKILL');
  await service.stop();
  await bus.close();
  await store.close();
  await content.close();
  await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  rmSync(work, { recursive: true, force: true });
  services.stop();
}

function lines() {
  let text = '';
  try {
    text = readFileSync(execLog, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

async function startRunner() {
  const port = await freePort();
  // What the image runs (Dockerfile: `node cli/bin/run.js server`), the bundled CLI.
  const child = spawn(process.execPath, [join(REPO, 'cli/bin/run.js'), 'server'], {
    cwd: REPO,
    env: {
      ...process.env,
      AOB_HTTP_PORT: String(port),
      AOB_SERVICES: 'runner',
      AOB_ATTEMPT_LEDGER: opts.ledger,
      AOB_DATABASE_URL: dbUrl.toString(),
      AOB_REDIS_URL: redisUrl,
      AOB_REDIS_PREFIX: prefix,
      AOB_INSTANCE: `kill-runner-${tag}-${Date.now()}`,
      AOB_BUS: opts.bus,
      AOB_REDELIVER_MS: String(opts.redeliverMs),
      ...(opts.bus === 'kafka'
        ? {
            AOB_KAFKA_BROKERS: process.env.KAFKA_BROKERS,
            AOB_KAFKA_PREFIX: prefix,
            AOB_KAFKA_SESSION_TIMEOUT_MS: String(opts.sessionMs),
            // The restarted runner is the same pod: the same id, where dynamic has none.
            ...(opts.membership === 'static'
              ? { AOB_KAFKA_INSTANCE_ID: `kill-runner-${tag}` }
              : {}),
          }
        : {}),
      AOB_S3_ENDPOINT: process.env.S3_ENDPOINT,
      AOB_S3_BUCKET: process.env.S3_BUCKET,
      AOB_S3_PREFIX: s3Prefix,
      AWS_ACCESS_KEY_ID: process.env.S3_ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: process.env.S3_SECRET_KEY,
      AOB_HANDLERS: handlersFile,
      AOB_RUNNER_CONCURRENCY: '256',
    },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const ready = (async () => {
    for (;;) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/readyz`);
        if (r.status === 200) return performance.now();
      } catch {
        // not listening yet
      }
      await sleep(20);
    }
  })();
  return { child, pid: child.pid, ready };
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

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
