// aob beside DBOS Transact, LangGraph.js (PostgresSaver, durability "sync") and graphile-worker on
// this machine (issue 18 item 1): aob's local engine (file store NORMAL and FULL, memory) and aob's
// own PostgreSQL deployments (aob-pg-redis, the small install: PostgreSQL + Redis Streams + S3;
// aob-pg-kafka, the cluster: PostgreSQL + Kafka + S3; engines/aob-pg.mjs) on the same PostgreSQL
// as the peers. The same workloads on each, every measurement in a process of
// its own, the engines interleaved in every round (the order rotates from round to round), the
// median over rounds per cell; one table with aob's figures, each peer's and the ratio to the
// best peer, and the floors (one SQLite WAL commit, NORMAL and FULL; one PostgreSQL commit).
//
//   npm run bench -- --peers [--quick] [--rounds N] [--json]
//   node bench/peers/run.mjs [--quick] [--rounds N] [--json] [--only chain,fanout,…]
//                            [--engines aob-full,aob-pg-redis,dbos,…] [--ledger on|off|redis|s3|pg]
//                            [--handoff on|off]
//
// --ledger off: aob's PostgreSQL deployments without the runners' attempt ledger (the topology of
// bench/cluster.mjs; no service composes it so), to show what the ledger costs; labelled so.
// --ledger redis|s3|pg: both deployments with the ledger there (AOB_ATTEMPT_LEDGER); `on` (the
// default) keeps it where the services keep it by default: Redis with the Redis bus, S3 with Kafka.
//
// Every figure of every round, with the machine, goes to bench/results/peers.json (not committed;
// peers-ledger-<where>.json with --ledger off|redis|s3|pg).
// Installs bench/peers' own dependencies (npm ci) when they are absent. Needs PostgreSQL on
// 127.0.0.1:5432, user postgres, trust auth (or --pg URL of a role that may create databases):
// the databases aob_bench_dbos, aob_bench_langgraph, aob_bench_graphile, aob_bench_aobpg,
// aob_bench_aobkafka and aob_bench_floor are dropped and created afresh before every measurement
// that uses them; no other is touched. aob-pg-redis and aob-pg-kafka also need Redis on
// 127.0.0.1:6379 (REDIS_URL for another; each measurement its own key prefix, deleted after), and
// Kafka and S3: KAFKA_BROKERS and S3_* when set, else a private Kafka and s3proxy started once
// for the whole run (bench/lib/services.mjs) when either engine is selected, stopped at the end.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshDatabase } from '../lib/databases.mjs';
import { fmt, fmtInt, median, parseArgs, progress } from '../lib/harness.mjs';
import { ensureServices } from '../lib/services.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = dirname(dirname(HERE));

const opts = parseArgs(process.argv.slice(2), {
  quick: false,
  rounds: 0,
  json: false,
  only: '',
  engines: '',
  ledger: 'on',
  handoff: 'on',
  pg: 'postgresql://postgres@127.0.0.1:5432',
});
const rounds = opts.rounds > 0 ? opts.rounds : opts.quick ? 1 : 5;
const q = opts.quick;
const say = opts.json ? progress : (m) => console.log(m);

// ------------------------------------------------------------------ dependencies and databases

const PEERS = ['@dbos-inc/dbos-sdk', '@langchain/langgraph', 'graphile-worker'];
if (PEERS.some((p) => !existsSync(join(HERE, 'node_modules', p, 'package.json')))) {
  say('bench/peers: dependencies absent; installing them (npm ci in bench/peers) …');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: HERE,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}
const versionOf = (p) =>
  JSON.parse(readFileSync(join(HERE, 'node_modules', p, 'package.json'), 'utf8')).version;
const { default: pg } = await import('pg');

const dbUrl = (name) => `${opts.pg}/${name}`;
/** Drops and creates one of this benchmark's databases. */
const freshDb = (name) => freshDatabase(pg, opts.pg, name);
const pgSettings = await (async () => {
  const c = new pg.Client({ connectionString: dbUrl('postgres') });
  await c.connect();
  try {
    const show = async (s) => (await c.query(`show ${s}`)).rows[0][s];
    return {
      version: (await c.query('show server_version')).rows[0].server_version.split(' ')[0],
      fsync: await show('fsync'),
      synchronous_commit: await show('synchronous_commit'),
      wal_sync_method: await show('wal_sync_method'),
    };
  } finally {
    await c.end();
  }
})();

// ------------------------------------------------------------------ what is measured

if (!['on', 'off', 'redis', 's3', 'pg'].includes(opts.ledger)) {
  throw new Error('--ledger must be on, off, redis, s3 or pg');
}
// engines/aob-pg.mjs reads it in each measurement's process.
if (opts.ledger !== 'on') process.env.AOB_PEERS_LEDGER = opts.ledger;
else delete process.env.AOB_PEERS_LEDGER;
if (!['on', 'off'].includes(opts.handoff)) throw new Error('--handoff must be on or off');
// --handoff off: aob's PostgreSQL deployments send every job and result over the bus, though the
// orchestrator and runner share a process (as separate services would).
if (opts.handoff === 'off') process.env.AOB_PEERS_HANDOFF = 'off';
else delete process.env.AOB_PEERS_HANDOFF;
const noLedger = `${{ on: '', off: ', no ledger', redis: ', Redis ledger', s3: ', S3 ledger', pg: ', PostgreSQL ledger' }[opts.ledger]}${opts.handoff === 'off' ? ', no handoff' : ''}`;
/** Where a deployment's ledger is, as its durability line says it. */
const ledgerSays = (bus) => {
  const at = opts.ledger === 'on' ? (bus === 'redis' ? 'redis' : 's3') : opts.ledger;
  if (at === 'off') return 'no attempt ledger';
  if (at === 'pg') return 'attempt ledger in the same PostgreSQL';
  return at === 'redis'
    ? `attempt ledger in ${bus === 'redis' ? 'the same' : ''} Redis (without persistence here)`
    : 'attempt ledger in S3 (s3proxy, in memory here)';
};
const ALL_ENGINES = [
  { id: 'aob-normal', label: 'aob file NORMAL' },
  { id: 'aob-full', label: 'aob file FULL' },
  { id: 'aob-memory', label: 'aob memory' },
  // aob's PostgreSQL deployments, orchestrator and runner in one process (engines/aob-pg.mjs).
  { id: 'aob-pg-redis', label: `aob PG+Redis${noLedger}`, db: 'aob_bench_aobpg', services: true },
  {
    id: 'aob-pg-kafka',
    label: `aob PG+Kafka${noLedger}`,
    db: 'aob_bench_aobkafka',
    services: true,
  },
  { id: 'dbos', label: `DBOS ${versionOf('@dbos-inc/dbos-sdk')}`, db: 'aob_bench_dbos' },
  {
    id: 'langgraph',
    label: `LangGraph ${versionOf('@langchain/langgraph')}`,
    db: 'aob_bench_langgraph',
  },
  {
    id: 'graphile',
    label: `graphile-worker ${versionOf('graphile-worker')}`,
    db: 'aob_bench_graphile',
  },
];
const ENGINES = opts.engines
  ? ALL_ENGINES.filter((e) => opts.engines.split(',').includes(e.id))
  : ALL_ENGINES;
if (ENGINES.length === 0) throw new Error(`--engines: ${ALL_ENGINES.map((e) => e.id).join(', ')}`);
const PEER_IDS = ['dbos', 'langgraph', 'graphile'].filter((p) => ENGINES.some((e) => e.id === p));
/** aob's PostgreSQL deployments, each also compared with DBOS (the same PostgreSQL). */
const PG_IDS = ['aob-pg-redis', 'aob-pg-kafka'].filter((p) => ENGINES.some((e) => e.id === p));

const workload = (name, args) => [join(HERE, 'workload.mjs'), '--workload', name, ...args];
const n = (x) => String(x);
// Not measured here: the resume of a killed orchestrator + runner process waits out configured
// timeouts, not the engine — the killed runner's attempt claim lapses after 15 s (attempt ledger),
// Redis redelivers its pending job after AOB_REDELIVER_MS idle (default 30 s), Kafka moves a dead
// member's partitions after its session timeout (default 10 s, the broker's floor 6 s).
// bench/runner-kill.mjs measures a killed runner on this topology (row 5).
const PG_RECOVERY_SKIP =
  'resume waits out timeouts (attempt claim 15 s, Redis redelivery 30 s, Kafka session 10 s); see bench/runner-kill.mjs';
/** A 10-step chain, one run at a time, after `warmup` runs: its per-step p50 and p99 rows. */
function chainWorkload(id, label, warmup) {
  return {
    id,
    args: workload('chain', ['--length', '10', '--runs', n(q ? 20 : 150), '--warmup', n(warmup)]),
    rows: [
      { label: `${label}: per-step p50`, unit: 'ms', figure: (r) => r.step.p50 },
      { label: `${label}: per-step p99`, unit: 'ms', figure: (r) => r.step.p99 },
    ],
  };
}

/** Each workload: its rows (a figure of the cell's result each) and how a cell is run. */
const WORKLOADS = [
  chainWorkload('chain', '10-step chain', q ? 5 : 50),
  // The same chain after 500 runs (5,000 steps) of warm-up: the p99 above, after 50, is mostly
  // aob's JIT at work (V8 compiling the hot path in the background: with --no-opt aob memory's
  // p99 fell from 4.6 to 0.45 ms); this is the step once every engine's code is compiled.
  chainWorkload('chain-warm', '10-step chain, warm', q ? 20 : 500),
  {
    id: 'concurrent-50',
    args: workload('concurrent', [
      ...['--concurrent', '50', '--length', '3'],
      // 150 steps a round: 20 rounds of warm-up (3 left aob's JIT cold: 2.7k vs 4k steps/s).
      ...['--warmup', n(q ? 1 : 20), '--rounds', n(q ? 2 : 15)],
    ]),
    rows: [{ label: '50 concurrent 3-step runs', unit: '/s', figure: (r) => r.stepsPerSec }],
  },
  {
    id: 'concurrent-1000',
    args: workload('concurrent', [
      ...['--concurrent', '1000', '--length', '3'],
      ...['--warmup', n(q ? 0 : 1), '--rounds', n(q ? 1 : 3)],
    ]),
    rows: [
      { label: '1,000 concurrent 3-step runs', unit: '/s', figure: (r) => r.stepsPerSec },
      { label: '1,000 concurrent: peak RSS', unit: 'MiB', figure: (r) => r.peakRssMiB },
    ],
  },
  {
    id: 'fanout',
    args: workload('fanout', ['--width', '100', '--runs', n(q ? 5 : 20), '--warmup', n(q ? 2 : 5)]),
    skip: { graphile: 'no fan-out with a join' },
    rows: [{ label: 'fan-out 100 + join: wall p50', unit: 'ms', figure: (r) => r.wall?.p50 }],
  },
  {
    id: 'recovery',
    args: [join(HERE, 'recovery.mjs')],
    skip: {
      'aob-memory': 'nothing survives the process',
      'aob-pg-redis': PG_RECOVERY_SKIP,
      'aob-pg-kafka': PG_RECOVERY_SKIP,
    },
    rows: [
      { label: 'kill -9 → first resumed step', unit: 'ms', figure: (r) => r.killToFirstStepMs },
      {
        label: 'executed again: finished / in flight',
        unit: 'count',
        figure: (r) => [r.reExecutedFinished, r.inFlightExecutedAgain],
      },
    ],
  },
];
const FLOORS = [
  {
    id: 'sqlite-normal',
    label: 'SQLite WAL commit, synchronous=NORMAL',
    args: ['--floor', 'sqlite', '--sync', 'normal'],
  },
  {
    id: 'sqlite-full',
    label: 'SQLite WAL commit, synchronous=FULL',
    args: ['--floor', 'sqlite', '--sync', 'full'],
  },
  {
    id: 'pg',
    label: 'PostgreSQL single-row commit',
    args: ['--floor', 'pg'],
    db: 'aob_bench_floor',
  },
];
const selected = opts.only
  ? WORKLOADS.filter((w) => opts.only.split(',').includes(w.id))
  : WORKLOADS;
if (selected.length === 0) throw new Error(`--only: ${WORKLOADS.map((w) => w.id).join(', ')}`);

/** Runs one cell's process; resolves with the last JSON line of its stdout. */
function cell(args, label) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, '--json'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // AOB_PEERS_PROFILE=1: a cell's `profile {…}` line (engines/aob-pg.mjs) is shown with its label.
      for (const line of err.split('\n')) {
        if (line.startsWith('profile ')) process.stderr.write(`  ${label} ${line}\n`);
      }
      const json = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .pop();
      if (code !== 0 || json === undefined) {
        reject(new Error(`${label} exited ${code ?? signal}:\n${err.slice(-2000)}`));
      } else resolve(JSON.parse(json));
    });
  });
}

// ------------------------------------------------------------------ the rounds

const git = (...a) => execFileSync('git', a, { cwd: REPO, encoding: 'utf8' }).trim();
const header = {
  date: new Date().toISOString(),
  commit: git('rev-parse', '--short', 'HEAD'),
  node: process.version,
  cpus: availableParallelism(),
  cpuModel: cpus()[0]?.model,
  postgres: pgSettings,
  peers: Object.fromEntries(
    [...PEERS, '@langchain/langgraph-checkpoint-postgres'].map((p) => [p, versionOf(p)]),
  ),
  rounds,
  quick: q,
  attemptLedger: opts.ledger,
  loadBefore: loadavg(),
};
say(
  `aob beside its peers — ${header.cpus} CPUs, node ${header.node}, commit ${header.commit}, ${header.date}; ` +
    `${rounds} round(s), each measurement in its own process, engines interleaved`,
);
say(`load average before: ${header.loadBefore.map((l) => l.toFixed(2)).join(' ')}`);

// Kafka and S3 for aob's PostgreSQL deployments: started once for the whole run, only if needed.
const needsServices = selected.some((w) => ENGINES.some((e) => e.services && !w.skip?.[e.id]));
const services = needsServices ? await ensureServices() : undefined;
if (services) {
  header.services = {
    kafka: process.env.KAFKA_BROKERS,
    s3: process.env.S3_ENDPOINT,
    redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}

const results = {}; // workload id -> engine id -> [result per round]
const floors = {}; // floor id -> [result per round]
const failures = [];
const rotate = (list, by) => list.map((_, i) => list[(i + by) % list.length]);
for (let round = 0; round < rounds; round++) {
  for (const w of selected) {
    for (const e of rotate(ENGINES, round)) {
      if (w.skip?.[e.id]) continue;
      const label = `round ${round + 1}/${rounds} ${w.id} ${e.id}`;
      const args = [...w.args, '--engine', e.id];
      if (e.db) args.push('--db', await freshDb(e.db));
      const t0 = Date.now();
      try {
        const r = await cell(args, label);
        ((results[w.id] ??= {})[e.id] ??= []).push(r);
        const f = w.rows[0].figure(r);
        say(
          `  ${label}: ${w.rows[0].unit === '/s' ? fmtInt(f) : fmt(f)} ${w.rows[0].unit} (${Date.now() - t0} ms)`,
        );
      } catch (error) {
        failures.push({ label, error: error.message });
        say(`  ${label}: FAILED\n${error.message}`);
      }
    }
  }
  for (const f of rotate(FLOORS, round)) {
    const args = [join(HERE, 'floors.mjs'), ...f.args, '--commits', n(q ? 300 : 2000)];
    if (f.db) args.push('--db', await freshDb(f.db));
    try {
      const r = await cell(args, `floor ${f.id}`);
      (floors[f.id] ??= []).push(r.commit);
      say(`  round ${round + 1}/${rounds} floor ${f.id}: p50 ${fmt(r.commit.p50)} ms`);
    } catch (error) {
      failures.push({ label: `floor ${f.id}`, error: error.message });
      say(`  floor ${f.id}: FAILED\n${error.message}`);
    }
  }
}
header.loadAfter = loadavg();
services?.stop();

// ------------------------------------------------------------------ the table

const lowerIsBetter = (unit) => unit === 'ms' || unit === 'MiB';
const rows = [];
for (const w of selected) {
  for (const row of w.rows) {
    const cells = {};
    for (const e of ENGINES) {
      const rs = results[w.id]?.[e.id];
      if (w.skip?.[e.id]) cells[e.id] = { skipped: w.skip[e.id] };
      else if (!rs?.length) cells[e.id] = { failed: true };
      else if (row.unit === 'count') {
        const counts = rs.map(row.figure);
        cells[e.id] = {
          finished: counts.reduce((a, c) => a + c[0], 0),
          inFlight: counts.reduce((a, c) => a + c[1], 0),
          rounds: rs.length,
        };
      } else {
        const figures = rs.map(row.figure);
        cells[e.id] = { median: median(figures), figures };
      }
    }
    const out = { workload: w.id, label: row.label, unit: row.unit, cells };
    if (row.unit !== 'count') {
      const peers = PEER_IDS.filter((p) => cells[p].median !== undefined);
      if (peers.length > 0) {
        const best = peers.reduce((a, b) =>
          lowerIsBetter(row.unit) === cells[a].median < cells[b].median ? a : b,
        );
        const ratio = (aob) =>
          aob === undefined
            ? undefined
            : lowerIsBetter(row.unit)
              ? cells[best].median / aob
              : aob / cells[best].median;
        out.bestPeer = best;
        out.ratioFull = ratio(cells['aob-full']?.median);
        out.ratioNormal = ratio(cells['aob-normal']?.median);
        out.ratioMemory = ratio(cells['aob-memory']?.median);
        for (const id of PG_IDS) (out.ratioPg ??= {})[id] = ratio(cells[id].median);
      }
      // aob on PostgreSQL against DBOS on the same PostgreSQL (above 1: aob is better).
      if (cells.dbos?.median !== undefined) {
        for (const id of PG_IDS) {
          const aob = cells[id].median;
          (out.ratioPgVsDbos ??= {})[id] =
            aob === undefined
              ? undefined
              : lowerIsBetter(row.unit)
                ? cells.dbos.median / aob
                : aob / cells.dbos.median;
        }
      }
    }
    rows.push(out);
  }
}
const floorFigures = Object.fromEntries(
  Object.entries(floors).map(([id, rs]) => [
    id,
    { p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)) },
  ]),
);
/** aob FULL's per-step p50 over the SQLite FULL commit's, for each chain row measured. */
const fullVsFloor = rows
  .filter((r) => r.label.includes('per-step p50'))
  .map((r) => ({ label: r.label, median: r.cells['aob-full']?.median }))
  .filter((r) => r.median !== undefined && floorFigures['sqlite-full'])
  .map((r) => ({ label: r.label, ratio: r.median / floorFigures['sqlite-full'].p50 }));

const durability = {
  'aob-normal':
    'SQLite WAL synchronous=NORMAL, content files not fsynced (survives kill -9, not power loss)',
  'aob-full':
    'SQLite WAL synchronous=FULL + content file and directory fsync (survives power loss)',
  'aob-memory': 'in memory (nothing survives the process)',
  dbos: `PostgreSQL ${pgSettings.version} fsync=${pgSettings.fsync} synchronous_commit=${pgSettings.synchronous_commit} (${pgSettings.wal_sync_method}): each step's checkpoint committed before the next`,
  langgraph: `PostgresSaver, durability "sync", same PostgreSQL: each super-step's checkpoint committed before the next`,
  graphile: `same PostgreSQL: the next job committed before a step returns; worker concurrency 10`,
  'aob-pg-redis': `same PostgreSQL (synchronous_commit=${pgSettings.synchronous_commit}): every event, with its outbox rows, committed before anyone acts on it; Redis Streams here without persistence (no RDB, no AOF): messages in transit survive a kill of any aob process, not a Redis restart (a run whose job or result is lost waits for the stall watchdog); ${ledgerSays('redis')}`,
  'aob-pg-kafka': `same PostgreSQL (synchronous_commit=${pgSettings.synchronous_commit}), events and outbox rows in one transaction; Kafka one broker, replication 1, acks=all, flushed by the OS (no fsync per message); ${ledgerSays('kafka')}`,
};

const NOTES = [
  'graphile-worker, fan-out: it has no join; one would be application code (a counter row and a last job)',
  'aob memory, kill -9: nothing survives the process, so there is nothing to resume',
  "graphile-worker, kill -9: the killed worker's job stays locked for 4 h (job expiry); the new process first calls forceUnlockWorkers with the ids holding locks (it is told they are dead)",
  'aob file, kill -9: bench/local-recovery.mjs (aob run start killed, aob run resume at once; the CLI, AOB_DURABILITY); the peers: bench/peers/recovery.mjs, the same chain and kill point',
  `aob PG+Redis / PG+Kafka: orchestrator and runner (concurrency 32) in one process, as services/orchestrator and services/runner compose them, ${opts.ledger === 'off' ? 'WITHOUT (--ledger off)' : 'with'} the attempt ledger, ${opts.handoff === 'off' ? 'every job and result over the bus (--handoff off)' : 'jobs and results handed between them in process (JobHandoff)'}; kill -9: ${PG_RECOVERY_SKIP}`,
];
const show = (row, c) => {
  if (c.skipped) return '—';
  if (c.failed) return 'failed';
  if (row.unit === 'count') return `${c.finished} / ${c.inFlight} of ${c.rounds}`;
  return row.unit === '/s'
    ? fmtInt(c.median)
    : fmt(c.median, c.median >= 100 ? 0 : c.median >= 10 ? 1 : 2);
};
const x = (v) => (v === undefined ? '' : `${fmt(v, v >= 10 ? 0 : v >= 1 ? 1 : 2)}×`);
const table = [
  [
    'workload',
    'unit',
    ...ENGINES.map((e) => e.label),
    'best peer',
    'FULL vs best',
    'NORMAL vs best',
    ...PG_IDS.flatMap((id) => {
      const short = id === 'aob-pg-redis' ? 'PG+Redis' : 'PG+Kafka';
      return [`${short} vs best`, `${short} vs DBOS`];
    }),
  ],
  ...rows.map((r) => [
    r.label,
    r.unit === 'count' ? '' : r.unit === '/s' ? 'steps/s' : r.unit,
    ...ENGINES.map((e) => show(r, r.cells[e.id])),
    r.bestPeer ? ENGINES.find((e) => e.id === r.bestPeer).label.split(' ')[0] : '',
    x(r.ratioFull),
    x(r.ratioNormal),
    ...PG_IDS.flatMap((id) => [x(r.ratioPg?.[id]), x(r.ratioPgVsDbos?.[id])]),
  ]),
];
const document = {
  ...header,
  durability,
  notes: NOTES,
  rows,
  floors: floorFigures,
  fullStepOverSqliteFullCommit: fullVsFloor,
  failures,
  raw: { results, floors },
};
const outName = `peers${opts.ledger === 'on' ? '' : `-ledger-${opts.ledger}`}${opts.handoff === 'on' ? '' : '-no-handoff'}.json`;
const outFile = join(REPO, 'bench', 'results', outName);
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, `${JSON.stringify(document, null, 2)}\n`);
if (opts.json) process.stdout.write(`${JSON.stringify(document)}\n`);
else {
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  console.log('');
  for (const [i, row] of table.entries()) {
    console.log(
      row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '),
    );
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  console.log('');
  console.log(
    `medians over ${rounds} round(s); ratios: how many times better aob is than the best peer (below 1: worse); target ≥ 2× on every row`,
  );
  console.log('— and notes:');
  for (const note of NOTES) console.log(`  ${note}`);
  console.log('durability:');
  for (const e of ENGINES) console.log(`  ${e.label.padEnd(24)} ${durability[e.id]}`);
  console.log('floors (p50 / p99 of one commit of one small row):');
  for (const f of FLOORS) {
    const v = floorFigures[f.id];
    console.log(`  ${f.label.padEnd(40)} ${v ? `${fmt(v.p50)} / ${fmt(v.p99)} ms` : 'failed'}`);
  }
  for (const { label, ratio } of fullVsFloor) {
    console.log(
      `aob FULL ${label.replace(/: per-step p50$/, '')} per-step p50 / SQLite FULL commit p50: ${fmt(ratio, 1)}× (target ≤ 3×)`,
    );
  }
  console.log(`load average after: ${header.loadAfter.map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`wrote bench/results/${outName} (every round of every cell; not committed)`);
}
if (failures.length > 0) {
  for (const f of failures) progress(`FAILED ${f.label}: ${f.error.split('\n')[0]}`);
  process.exitCode = 1;
}
