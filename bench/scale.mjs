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
//                        [--charts] [--json] [--dir PARENT]
//
// --charts renders bench/charts/*.png (lib/chart.mjs: SVG drawn here, PNG by Debian's Chromium).
// A child is this script with --point decision|memory|log and the point's flags.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
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
 * RunCompleted. Used by the decision point.
 */
function runTimer(engine) {
  let current;
  engine.onEvent((e) => {
    const run = current;
    if (run === undefined) return;
    if (e.type === 'NodeSucceeded') run.succeeded.push(performance.now());
    else if (e.type === 'RunCompleted') run.done(performance.now());
    else if (e.type === 'RunFailed' || e.type === 'RunCancelled') {
      run.fail(new Error(`run ${e.runId} ended with ${e.type}: ${JSON.stringify(e.data)}`));
    }
  });
  return async (definition) => {
    const ended = new Promise((done, fail) => (current = { succeeded: [], done, fail }));
    const t0 = performance.now();
    await engine.control.start(definition, {});
    const end = await ended;
    const { succeeded } = current;
    current = undefined;
    return { t0, succeeded, end };
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
    const headMs = [];
    const runMs = [];
    for (let i = 0; i < opts.runs; i++) {
      const { t0, succeeded, end } = await oneRun(definition);
      if (succeeded.length !== size) throw new Error(`${succeeded.length} transitions of ${size}`);
      perTransitionUs.push(((end - succeeded[0]) / (size - 1)) * 1000);
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
      medianPerTransitionUs: median(perTransitionUs),
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
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, external, arrayBuffers };
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
