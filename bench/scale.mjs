// Scale curves, not single points (issue 18 item 6): how the local engine's figures move as the
// load grows, each point measured in a child process of its own (no shared heap, JIT state or
// store), medians over rounds.
//
//   throughput  node transitions/s (NodeSucceeded) against concurrent runs: 10, 100, 1,000 and
//               10,000 three-node no-op chains started at once, file and memory store
//               (bench/concurrent-runs.mjs --runs K, warm-up and rounds scaled to K)
//   decision    time per node transition against graph size: one run at a time of a chain and of
//               a wide graph (one task fanning out to N-2 no-op tasks joined by a `join` node) of
//               10, 100, 1,000 and 5,000 nodes, file store; the clock runs from a run's first
//               NodeSucceeded to its RunCompleted, divided by the transitions after the first
//   memory      RSS and heapUsed after GC per 1,000 runs waiting on an approval (task ->
//               approval -> task), 1,000, 5,000 and 10,000 of them, file and memory store; and
//               the CPU the engine spends while they wait
//   log         growth of the durable store per run: the SQLite file + WAL after a checkpoint, and
//               the content store (bytes and disk blocks), for a 3-node chain, a 10-node chain
//               and a map over 100 items; events per run
//
//   node bench/scale.mjs [--quick] [--only throughput,decision,memory,log] [--repeat 3]
//                        [--charts] [--json] [--dir PARENT] [--from FILE]
//
// --charts renders bench/charts/*.png (lib/scale-charts.mjs; PNG by Debian's Chromium); --from
// reads the document an earlier --json printed instead of measuring (to redraw the charts).
// A child is this script with --point decision|memory|log and the point's flags.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import { DEFAULT_SERVER_LIMITS, setServerLimits } from '@aob/core';
import { runJson } from './lib/child.mjs';
import {
  chain,
  fmt,
  fmtInt,
  median,
  openEngine,
  parseArgs,
  progress,
  report,
} from './lib/harness.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = dirname(BENCH);

const opts = parseArgs(process.argv.slice(2), {
  // the parent
  quick: false,
  only: '',
  repeat: 0,
  charts: false,
  json: false,
  dir: '',
  from: '',
  // a child: which point, and its parameters
  point: '',
  store: 'file',
  shape: 'chain',
  size: 0,
  runs: 0,
  warmup: 0,
  workflow: '',
});

// ---- workflows ---------------------------------------------------------------------------------

/** A definition of `nodes` nodes may exceed the default limit of 200: it says so itself. */
function allowNodes(definition) {
  const n = definition.nodes.length;
  if (n > DEFAULT_SERVER_LIMITS.maxNodes) setServerLimits({ maxNodes: n });
  return { ...definition, limits: { maxNodes: n } };
}

/** `first` fans out to size-2 no-op tasks, all joined by `last` (a join node, mode all). */
function wide(size) {
  const middle = Array.from({ length: size - 2 }, (_, i) => ({
    id: `t${i + 1}`,
    type: 'task',
    with: { handler: 'noop' },
  }));
  return {
    name: `bench-wide-${size}`,
    version: '1',
    nodes: [
      { id: 'first', type: 'task', with: { handler: 'noop' } },
      ...middle,
      { id: 'last', type: 'join', with: { mode: 'all' } },
    ],
    edges: middle.flatMap((n) => [
      { from: 'first', to: n.id },
      { from: n.id, to: 'last' },
    ]),
  };
}

/** A run that did some work and now waits for a person: task -> approval -> task. */
const WAITING = {
  name: 'bench-waiting',
  version: '1',
  nodes: [
    { id: 'before', type: 'task', with: { handler: 'noop' } },
    { id: 'approve', type: 'approval', with: { approvers: ['bench'] } },
    { id: 'after', type: 'task', with: { handler: 'noop' } },
  ],
  edges: [
    { from: 'before', to: 'approve' },
    { from: 'approve', to: 'after', on: 'approved' },
  ],
};

const MAP_ITEMS = 100;
/** The log point's workflows, and the (distinct) inputs of run i. */
const LOG_WORKFLOWS = {
  chain3: { definition: chain(3), inputs: (i) => ({ run: i }) },
  chain10: { definition: chain(10), inputs: (i) => ({ run: i }) },
  map100: {
    definition: {
      name: 'bench-map-100',
      version: '1',
      nodes: [
        {
          id: 'each',
          type: 'map',
          with: {
            items: '{% inputs.items %}',
            concurrency: 10,
            body: { type: 'task', with: { handler: 'noop' } },
          },
        },
      ],
      edges: [],
    },
    inputs: (i) => ({ items: Array.from({ length: MAP_ITEMS }, (_, k) => i * MAP_ITEMS + k) }),
  },
};

// ---- child points ------------------------------------------------------------------------------

/**
 * Runs one run at a time; resolves with the performance.now() of each NodeSucceeded and of the
 * RunCompleted, and the process's CPU time from the first NodeSucceeded to the RunCompleted (all
 * threads: GC helpers and SQLite included). Used by the decision point.
 */
function runTimer(engine) {
  let current;
  engine.onEvent((e) => {
    const run = current;
    if (run === undefined) return;
    if (e.type === 'NodeSucceeded') {
      run.succeeded.push(performance.now());
      run.cpuAtFirst ??= process.cpuUsage();
    } else if (e.type === 'RunCompleted') run.done(performance.now());
    else if (e.type === 'RunFailed' || e.type === 'RunCancelled') {
      run.fail(new Error(`run ${e.runId} ended with ${e.type}: ${JSON.stringify(e.data)}`));
    }
  });
  return async (definition) => {
    const ended = new Promise((done, fail) => (current = { succeeded: [], done, fail }));
    const t0 = performance.now();
    await engine.control.start(definition, {});
    const end = await ended;
    const cpu = process.cpuUsage(current.cpuAtFirst);
    const { succeeded } = current;
    current = undefined;
    return { t0, succeeded, end, cpuMs: (cpu.user + cpu.system) / 1000 };
  };
}

async function decisionPoint() {
  const { shape, size } = opts;
  const definition = allowNodes(shape === 'wide' ? wide(size) : chain(size));
  const { engine, close } = await openEngine({ store: opts.store, parent: opts.dir || undefined });
  const oneRun = runTimer(engine);
  try {
    for (let i = 0; i < opts.warmup; i++) await oneRun(definition);
    const perTransitionUs = [];
    const cpuPerTransitionUs = [];
    const headMs = [];
    const runMs = [];
    for (let i = 0; i < opts.runs; i++) {
      const { t0, succeeded, end, cpuMs } = await oneRun(definition);
      if (succeeded.length !== size) throw new Error(`${succeeded.length} transitions of ${size}`);
      perTransitionUs.push(((end - succeeded[0]) / (size - 1)) * 1000);
      cpuPerTransitionUs.push((cpuMs / (size - 1)) * 1000);
      headMs.push(succeeded[0] - t0);
      runMs.push(end - t0);
      progress(`  ${shape} ${size}: run ${i + 1}/${opts.runs} ${fmt(end - t0, 1)} ms`);
    }
    return {
      point: 'decision',
      store: opts.store,
      shape,
      size,
      runs: opts.runs,
      warmup: opts.warmup,
      perTransitionUs,
      cpuPerTransitionUs,
      medianPerTransitionUs: median(perTransitionUs),
      medianCpuPerTransitionUs: median(cpuPerTransitionUs),
      medianHeadMs: median(headMs),
      medianRunMs: median(runMs),
    };
  } finally {
    await close();
  }
}

/** heapUsed and RSS after full collections (the process runs with --expose-gc). */
async function settledMemory() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await sleep(50);
  }
  const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapTotal, heapUsed, external, arrayBuffers };
}

/** Share of one core the process used over `ms` of wall time, idle but for its own timers. */
async function cpuWhileIdle(ms) {
  const before = process.cpuUsage();
  const t0 = performance.now();
  await sleep(ms);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / (performance.now() - t0);
}

async function memoryPoint() {
  if (typeof globalThis.gc !== 'function') throw new Error('run the memory point with --expose-gc');
  const { engine, close } = await openEngine({ store: opts.store, parent: opts.dir || undefined });
  let waiting = 0;
  let wake;
  engine.onEvent((e) => {
    if (e.type === 'ApprovalRequested') {
      waiting++;
      wake?.();
    } else if (e.type === 'RunFailed' || e.type === 'RunCompleted') {
      throw new Error(`run ${e.runId} ended (${e.type}) instead of waiting`);
    }
  });
  /** Starts n waiting runs, 1,000 at a time, and resolves once all of them wait. */
  const startWaiting = async (n) => {
    const goal = waiting + n;
    for (let first = 0; first < n; first += 1000) {
      const k = Math.min(1000, n - first);
      await Promise.all(Array.from({ length: k }, () => engine.control.start(WAITING, {})));
    }
    while (waiting < goal) await new Promise((resolve) => (wake = resolve));
  };
  try {
    // Warm-up: the same code paths, the same caches; these runs stay and are in the baseline.
    await startWaiting(opts.warmup);
    await sleep(1500); // a lease renewal and a few inbox polls, as below
    const cpuBefore = await cpuWhileIdle(3000);
    const before = await settledMemory();
    const t0 = performance.now();
    await startWaiting(opts.runs);
    const startMs = performance.now() - t0;
    await sleep(1500);
    const cpuAfter = await cpuWhileIdle(3000);
    const after = await settledMemory();
    const per1000 = (key) => ((after[key] - before[key]) / opts.runs) * 1000;
    return {
      point: 'memory',
      store: opts.store,
      waiting: opts.runs,
      warmup: opts.warmup,
      startMs,
      before,
      after,
      rssPer1000: per1000('rss'),
      heapUsedPer1000: per1000('heapUsed'),
      heapTotalPer1000: per1000('heapTotal'),
      externalPer1000: per1000('external'),
      idleCpuBefore: cpuBefore,
      idleCpuAfter: cpuAfter,
    };
  } finally {
    await close();
  }
}

/** Apparent bytes, allocated bytes (st_blocks) and files under `dir` (none when it is missing). */
function treeSize(dir) {
  const total = { bytes: 0, allocated: 0, files: 0 };
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return total;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      const sub = treeSize(path);
      total.bytes += sub.bytes;
      total.allocated += sub.allocated;
      total.files += sub.files;
    } else if (e.isFile()) {
      const s = statSync(path);
      total.bytes += s.size;
      total.allocated += s.blocks * 512;
      total.files++;
    }
  }
  return total;
}

/** The SQLite database + WAL after a checkpoint (taken on a second connection), and the CAS. */
function storeSize(home) {
  const db = new Sqlite(join(home, 'aob.db'));
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  const size = (name) => {
    try {
      return statSync(join(home, name)).size;
    } catch {
      return 0;
    }
  };
  return { sqlite: size('aob.db') + size('aob.db-wal'), content: treeSize(join(home, 'cas')) };
}

async function logPoint() {
  const workflow = LOG_WORKFLOWS[opts.workflow];
  if (!workflow) throw new Error(`--workflow: one of ${Object.keys(LOG_WORKFLOWS).join(', ')}`);
  const { engine, home, close } = await openEngine({
    store: 'file',
    parent: opts.dir || undefined,
  });
  let events = 0;
  let completed = 0;
  let wake;
  engine.onEvent((e) => {
    events++;
    if (e.type === 'RunCompleted') {
      completed++;
      wake?.();
    } else if (e.type === 'RunFailed' || e.type === 'RunCancelled') {
      throw new Error(`run ${e.runId} ended with ${e.type}: ${JSON.stringify(e.data)}`);
    }
  });
  let next = 0;
  /** n runs with inputs of their own, 100 in flight at a time. */
  const runMany = async (n) => {
    for (let first = 0; first < n; first += 100) {
      const k = Math.min(100, n - first);
      const goal = completed + k;
      const starts = Array.from({ length: k }, () =>
        engine.control.start(workflow.definition, workflow.inputs(next++)),
      );
      await Promise.all(starts);
      while (completed < goal) await new Promise((resolve) => (wake = resolve));
    }
  };
  try {
    await runMany(opts.warmup); // the definition stored, the tables' first pages written
    const before = storeSize(home);
    const eventsBefore = events;
    await runMany(opts.runs);
    const after = storeSize(home);
    const perRun = (a, b) => (a - b) / opts.runs;
    return {
      point: 'log',
      workflow: opts.workflow,
      runs: opts.runs,
      eventsPerRun: (events - eventsBefore) / opts.runs,
      sqliteBytesPerRun: perRun(after.sqlite, before.sqlite),
      contentBytesPerRun: perRun(after.content.bytes, before.content.bytes),
      contentAllocatedPerRun: perRun(after.content.allocated, before.content.allocated),
      contentFilesPerRun: perRun(after.content.files, before.content.files),
      before,
      after,
    };
  } finally {
    await close();
  }
}

const POINTS = { decision: decisionPoint, memory: memoryPoint, log: logPoint };

if (opts.point) {
  const run = POINTS[opts.point];
  if (!run) throw new Error(`--point: one of ${Object.keys(POINTS).join(', ')}`);
  report(true, await run(), []);
  process.exit(0);
}

// ---- the parent: the ladders, one child process a point ----------------------------------------

const SECTIONS = ['throughput', 'decision', 'memory', 'log'];
const only = opts.only ? opts.only.split(',') : SECTIONS;
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`--only: ${SECTIONS.join(', ')}`);
const quick = opts.quick;
const repeat = (full) => (opts.repeat > 0 ? opts.repeat : quick ? 1 : full);
const dirArgs = opts.dir ? ['--dir', opts.dir] : [];

/** Concurrent runs -> [warm-up rounds, measured rounds]: ~9,000 warm-up transitions, as row 2. */
const THROUGHPUT = quick
  ? { 10: [30, 11], 100: [5, 5], 1000: [1, 3] }
  : { 10: [300, 101], 100: [30, 21], 1000: [3, 7], 10000: [1, 3] };
/** Nodes -> [warm-up runs, measured runs]. */
const DECISION = quick
  ? { 10: [50, 21], 100: [5, 5], 1000: [1, 1] }
  : { 10: [200, 301], 100: [20, 31], 1000: [2, 5], 5000: [1, 3] };
const WAITING_RUNS = quick ? [1000] : [1000, 5000, 10000];
/** Workflow -> [warm-up runs, measured runs]. */
const LOG = quick
  ? { chain3: [5, 200], chain10: [5, 100], map100: [2, 20] }
  : { chain3: [20, 2000], chain10: [20, 1000], map100: [5, 200] };

const git = (...a) => execFileSync('git', a, { cwd: REPO, encoding: 'utf8' }).trim();

/** Runs a point `times` times, each in a fresh process; resolves with the results. */
async function measure(label, script, args, times, nodeFlags = []) {
  const results = [];
  for (let i = 0; i < times; i++) {
    const t0 = Date.now();
    const r = await runJson(join(BENCH, script), [...args, ...dirArgs], { cwd: REPO, nodeFlags });
    progress(
      `  ${label}${times > 1 ? ` ${i + 1}/${times}` : ''} (${fmt((Date.now() - t0) / 1000, 1)} s)`,
    );
    results.push(r);
  }
  return results;
}

async function throughputCurve() {
  const rows = [];
  for (const store of ['file', 'memory']) {
    for (const [runs, [warmup, rounds]] of Object.entries(THROUGHPUT)) {
      const args = ['--store', store, '--runs', runs, '--warmup', warmup, '--rounds', rounds];
      const results = await measure(
        `throughput ${store} ${runs} runs`,
        'concurrent-runs.mjs',
        args.map(String),
        repeat(1),
      );
      const tps = results.map((r) => r.medianTransitionsPerSec);
      rows.push({
        store,
        runs: Number(runs),
        warmup,
        rounds,
        transitionsPerSec: median(tps),
        eventsPerSec: median(results.map((r) => r.medianEventsPerSec)),
        roundMs: median(results.map((r) => r.medianRoundMs)),
        processes: tps,
      });
    }
  }
  return rows;
}

async function decisionCurve() {
  const rows = [];
  for (const store of ['file', 'memory']) {
    for (const shape of ['chain', 'wide']) {
      for (const [size, [warmup, runs]] of Object.entries(DECISION)) {
        const args = ['--point', 'decision', '--store', store, '--shape', shape, '--size', size];
        const results = await measure(
          `decision ${store} ${shape} ${size} nodes`,
          'scale.mjs',
          [...args, '--warmup', String(warmup), '--runs', String(runs)],
          repeat(1),
        );
        rows.push({
          store,
          shape,
          size: Number(size),
          warmup,
          runs,
          perTransitionUs: median(results.map((r) => r.medianPerTransitionUs)),
          cpuPerTransitionUs: median(results.map((r) => r.medianCpuPerTransitionUs)),
          headMs: median(results.map((r) => r.medianHeadMs)),
          runMs: median(results.map((r) => r.medianRunMs)),
          processes: results.map((r) => r.medianPerTransitionUs),
        });
      }
    }
  }
  return rows;
}

async function memoryCurve() {
  const rows = [];
  for (const store of ['file', 'memory']) {
    for (const waiting of WAITING_RUNS) {
      const args = [
        '--point',
        'memory',
        '--store',
        store,
        '--runs',
        String(waiting),
        '--warmup',
        '200',
      ];
      const results = await measure(
        `memory ${store} ${waiting} waiting`,
        'scale.mjs',
        args,
        repeat(3),
        ['--expose-gc'],
      );
      const med = (key) => median(results.map((r) => r[key]));
      rows.push({
        store,
        waiting,
        heapUsedPer1000: med('heapUsedPer1000'),
        heapTotalPer1000: med('heapTotalPer1000'),
        rssPer1000: med('rssPer1000'),
        externalPer1000: med('externalPer1000'),
        startMs: med('startMs'),
        idleCpuBefore: med('idleCpuBefore'),
        idleCpuAfter: med('idleCpuAfter'),
        processes: results.map((r) => ({
          heapUsedPer1000: r.heapUsedPer1000,
          rssPer1000: r.rssPer1000,
        })),
      });
    }
  }
  return rows;
}

async function logCurve() {
  const rows = [];
  for (const [workflow, [warmup, runs]] of Object.entries(LOG)) {
    const args = [
      '--point',
      'log',
      '--workflow',
      workflow,
      '--warmup',
      String(warmup),
      '--runs',
      String(runs),
    ];
    const [r] = await measure(`log ${workflow} x${runs}`, 'scale.mjs', args, 1);
    rows.push({
      workflow,
      runs,
      eventsPerRun: r.eventsPerRun,
      sqliteBytesPerRun: r.sqliteBytesPerRun,
      sqliteBytesPerEvent: r.sqliteBytesPerRun / r.eventsPerRun,
      contentBytesPerRun: r.contentBytesPerRun,
      contentAllocatedPerRun: r.contentAllocatedPerRun,
      contentFilesPerRun: r.contentFilesPerRun,
    });
  }
  return rows;
}

const CURVES = {
  throughput: throughputCurve,
  decision: decisionCurve,
  memory: memoryCurve,
  log: logCurve,
};

const MiB = 2 ** 20;
/** A table for a person: a title, then a header and a line a row; columns are [header, cell]. */
function table(title, columns, rows) {
  const cells = [columns.map(([h]) => h), ...rows.map((r) => columns.map(([, cell]) => cell(r)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => String(line[i]).length)));
  const line = (cs) => cs.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i])));
  return ['', title, ...cells.map((cs) => line(cs.map(String)).join('   '))];
}

const percent = (x) => `${fmt(x * 100, 1)} %`;

function tables(doc) {
  const lines = ['scale curves (issue 18 item 6)'];
  /** The section's table, and under it where and when it was measured. */
  const section = (name, title, columns) => {
    const p = doc.provenance[name];
    const load = (l) => l.map((x) => x.toFixed(2)).join(' ');
    lines.push(
      ...table(title, columns, doc[name]),
      `(${p.date}, commit ${p.commit}, ${p.cpus} CPUs, node ${p.node}${p.quick ? ', quick' : ''}; load average ${load(p.loadBefore)} before, ${load(p.loadAfter)} after)`,
    );
  };
  if (doc.throughput) {
    section('throughput', 'transitions/s against concurrent 3-node no-op runs (median of rounds)', [
      ['store', (r) => r.store],
      ['runs', (r) => fmtInt(r.runs)],
      ['transitions/s', (r) => fmtInt(r.transitionsPerSec)],
      ['events/s', (r) => fmtInt(r.eventsPerSec)],
      ['ms/round', (r) => fmt(r.roundMs, 1)],
    ]);
  }
  if (doc.decision) {
    section(
      'decision',
      'time per node transition against graph size, one run at a time (median of runs)',
      [
        ['store', (r) => r.store],
        ['shape', (r) => r.shape],
        ['nodes', (r) => fmtInt(r.size)],
        ['µs/transition', (r) => fmt(r.perTransitionUs, 0)],
        ['CPU µs/transition', (r) => fmt(r.cpuPerTransitionUs, 0)],
        ['head ms', (r) => fmt(r.headMs, 1)],
        ['run ms', (r) => fmt(r.runMs, 1)],
      ],
    );
  }
  if (doc.memory) {
    section(
      'memory',
      'memory per 1,000 runs waiting on an approval, after GC (median of processes)',
      [
        ['store', (r) => r.store],
        ['waiting', (r) => fmtInt(r.waiting)],
        ['heapUsed MiB', (r) => fmt(r.heapUsedPer1000 / MiB, 2)],
        ['heapTotal MiB', (r) => fmt(r.heapTotalPer1000 / MiB, 2)],
        ['RSS MiB', (r) => fmt(r.rssPer1000 / MiB, 2)],
        ['start ms', (r) => fmt(r.startMs, 0)],
        ['idle CPU before', (r) => percent(r.idleCpuBefore)],
        ['idle CPU waiting', (r) => percent(r.idleCpuAfter)],
      ],
    );
  }
  if (doc.log) {
    section(
      'log',
      'growth of the file store per run (SQLite db + WAL after a checkpoint; content store)',
      [
        ['workflow', (r) => r.workflow],
        ['events', (r) => fmt(r.eventsPerRun, 1)],
        ['SQLite B', (r) => fmtInt(r.sqliteBytesPerRun)],
        ['B/event', (r) => fmtInt(r.sqliteBytesPerEvent)],
        ['content B', (r) => fmtInt(r.contentBytesPerRun)],
        ['on disk B', (r) => fmtInt(r.contentAllocatedPerRun)],
        ['files', (r) => fmt(r.contentFilesPerRun, 2)],
      ],
    );
  }
  return lines;
}

/** Measures the sections asked for, or (--from FILE) reads a document an earlier --json wrote. */
/** Where and when a section was measured: the small print of its table and chart. */
function provenance(loadBefore) {
  return {
    date: new Date().toISOString(),
    commit: git('rev-parse', '--short', 'HEAD'),
    node: process.version,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model,
    quick,
    loadBefore,
  };
}

/** Measures the sections asked for, each with its provenance. */
async function measureAll() {
  const doc = { benchmark: 'scale', quick, provenance: {} };
  for (const section of only) {
    progress(`scale: ${section}`);
    const where = provenance(loadavg());
    doc[section] = await CURVES[section]();
    doc.provenance[section] = { ...where, loadAfter: loadavg() };
  }
  return doc;
}

/**
 * Reads documents earlier --json runs printed: `FILE[:section+section],...`, each file giving
 * all its sections or those named, a later file replacing what an earlier one gave.
 */
function readDocs(spec) {
  const doc = { benchmark: 'scale', provenance: {} };
  for (const item of spec.split(',')) {
    const [file, named] = item.split(':');
    const d = JSON.parse(readFileSync(file, 'utf8'));
    for (const section of named ? named.split('+') : SECTIONS) {
      if (!d[section]) continue;
      doc[section] = d[section];
      // Documents of the first version carried one provenance for the whole.
      doc.provenance[section] = d.provenance?.[section] ?? {
        ...d.machine,
        quick: d.quick,
        loadBefore: d.loadBefore,
        loadAfter: d.loadAfter,
      };
    }
  }
  return doc;
}

const doc = opts.from ? readDocs(opts.from) : await measureAll();
report(opts.json, doc, tables(doc));
if (opts.charts) {
  const { renderScaleCharts } = await import('./lib/scale-charts.mjs');
  const written = await renderScaleCharts(doc, join(BENCH, 'charts'));
  progress(`charts: ${written.join(', ')}`);
}
