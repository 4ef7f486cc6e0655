// ARCHITECTURE §11 row 1: a 10-node chain of no-op tasks on the local durable store, one run at a
// time. A hop is the time from NodeSucceeded of node i to NodeSucceeded of node i+1, both taken
// with performance.now() when the engine delivers the event to onEvent (after it is durable).
// The handler does nothing, so a hop is all engine: decide, group commit, dispatch over the
// in-process bus, the runner's NodeStarted round trip, the CAS write of the output, and the
// NodeSucceeded decision and commit. Run latency is from the start() call to RunCompleted; it is
// split into the head (start() to the first NodeSucceeded) and the hops; RunCompleted is committed
// with the last NodeSucceeded, so there is no tail.
//
//   node bench/chain-hop.mjs [--runs 200] [--warmup 20] [--length 10] [--store file|memory] [--fidelity full|fast]
//                            [--node task|transform] [--inline on|off] [--concurrency N] [--dir PARENT] [--json]
//
// --node transform: a chain of pure nodes, which the orchestrator runs in the decision that
// schedules them (all of a run's NodeSucceeded arrive in one batch: the hop is then no round trip
// at all, and run latency is the figure to read) unless --inline off sends them to the runner.
import { performance } from 'node:perf_hooks';
import { chain, fmt, openEngine, parseArgs, progress, report, summarise } from './lib/harness.mjs';

const TARGET_HOP_P50_MS = 0.5;

const opts = parseArgs(process.argv.slice(2), {
  fidelity: 'full',
  node: 'task',
  inline: 'on',
  runs: 200,
  warmup: 20,
  length: 10,
  store: 'file',
  concurrency: 0,
  dir: '',
  json: false,
});

if (!['full', 'fast'].includes(opts.fidelity)) throw new Error('--fidelity must be full or fast');
const definition = chain(opts.length, opts.fidelity, opts.node);
const { engine, home, close } = await openEngine({
  store: opts.store,
  concurrency: opts.concurrency,
  parent: opts.dir || undefined,
  inline: opts.inline,
});

// One run at a time, so every event belongs to the run in flight.
let current; // { succeededAt, startedAt, hops[], dispatch[], execute[], done }
engine.onEvent((e) => {
  const now = performance.now();
  const run = current;
  if (run === undefined) return;
  switch (e.type) {
    case 'NodeStarted':
      if (run.succeededAt !== undefined) run.dispatch.push(now - run.succeededAt);
      run.startedAt = now;
      break;
    case 'NodeSucceeded':
      if (run.succeededAt !== undefined) run.hops.push(now - run.succeededAt);
      else run.firstSucceededAt = now;
      if (run.startedAt !== undefined) run.execute.push(now - run.startedAt);
      run.succeededAt = now;
      break;
    case 'RunCompleted':
      run.done(now, e.runId);
      break;
    case 'RunFailed':
    case 'RunCancelled':
      run.fail(new Error(`run ${e.runId} ended with ${e.type}: ${JSON.stringify(e.data)}`));
      break;
  }
});

async function oneRun() {
  let done, fail;
  const ended = new Promise((resolve, reject) => {
    done = (at, runId) => resolve({ at, runId });
    fail = reject;
  });
  current = { hops: [], dispatch: [], execute: [], done, fail };
  const t0 = performance.now();
  const runId = await engine.control.start(definition, {});
  const end = await ended;
  if (end.runId !== runId) throw new Error(`completed ${end.runId}, expected ${runId}`);
  const run = current;
  current = undefined;
  if (run.hops.length !== opts.length - 1) {
    throw new Error(`run ${runId}: ${run.hops.length} hops, expected ${opts.length - 1}`);
  }
  return {
    latency: end.at - t0,
    head: run.firstSucceededAt - t0,
    hops: run.hops,
    dispatch: run.dispatch,
    execute: run.execute,
  };
}

try {
  progress(`chain-hop: store=${opts.store} home=${home} warm-up ${opts.warmup} runs`);
  for (let i = 0; i < opts.warmup; i++) await oneRun();
  progress(`chain-hop: measuring ${opts.runs} runs of a ${opts.length}-node chain`);
  const hops = [];
  const dispatch = [];
  const execute = [];
  const latency = [];
  const head = [];
  const t0 = performance.now();
  for (let i = 0; i < opts.runs; i++) {
    const r = await oneRun();
    hops.push(...r.hops);
    dispatch.push(...r.dispatch);
    execute.push(...r.execute);
    latency.push(r.latency);
    head.push(r.head);
  }
  const elapsedMs = performance.now() - t0;
  const hop = summarise(hops);
  const run = summarise(latency);
  const result = {
    benchmark: 'chain-hop',
    row: 1,
    store: opts.store,
    fidelity: opts.fidelity,
    node: opts.node,
    inline: opts.inline,
    chainLength: opts.length,
    runs: opts.runs,
    warmup: opts.warmup,
    unit: 'ms',
    hop,
    hopDispatch: summarise(dispatch),
    hopExecute: summarise(execute),
    runLatency: run,
    runHead: summarise(head),
    elapsedMs,
    target: { metric: 'hop.p50', op: '<=', value: TARGET_HOP_P50_MS },
    met: hop.p50 <= TARGET_HOP_P50_MS,
  };
  const line = (name, s) =>
    `  ${name.padEnd(26)} p50 ${fmt(s.p50)}  p90 ${fmt(s.p90)}  p99 ${fmt(s.p99)}  max ${fmt(s.max)}  (n=${s.n})`;
  report(opts.json, result, [
    `chain-hop (ARCHITECTURE §11 row 1): ${opts.runs} runs of a ${opts.length}-node no-op ${opts.node} chain, store=${opts.store}, fidelity ${opts.fidelity}, inline ${opts.inline}, one run at a time`,
    line('hop overhead (ms)', hop),
    // Fidelity fast records no NodeStarted: the hop has no split.
    ...(result.hopDispatch.n > 0
      ? [
          line('  succeeded -> started', result.hopDispatch),
          line('  started -> succeeded', result.hopExecute),
        ]
      : []),
    line('run latency (ms)', run),
    line('  start() -> 1st succeeded', result.runHead),
    `  target: hop p50 <= ${TARGET_HOP_P50_MS} ms -> ${result.met ? 'MET' : `MISSED by ${fmt(hop.p50 - TARGET_HOP_P50_MS)} ms (${fmt(hop.p50 / TARGET_HOP_P50_MS, 1)}x)`}`,
  ]);
} finally {
  await close();
}
