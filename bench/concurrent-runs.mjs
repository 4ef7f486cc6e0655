// ARCHITECTURE §11 rows 2 and 3: 1,000 runs of a 3-node chain of no-op tasks started at once, on the
// local durable store (row 2, `--store file`) or the in-memory store (row 3, `--store memory`).
//
// A node transition is a node that finished: one NodeSucceeded event, so a round of 1,000
// 3-node runs makes 3,000. Throughput is transitions / (last RunCompleted - first start() call),
// both taken with performance.now(); the clock starts before the first start() and so includes
// starting the runs (validation, content put, lease, RunStarted commit). Events/s counts every
// event the engine delivered to onEvent in the same window (RunStarted, NodeScheduled,
// NodeStarted, NodeSucceeded, RunCompleted: 11 per run here).
//
// One engine and one store serve every round, as a long-lived process would; the first
// --warmup rounds (JIT warm-up: the first two run at a third to a half of the steady rate) are
// thrown away and the median of the --rounds measured ones is the figure.
//
//   node bench/concurrent-runs.mjs [--store file|memory] [--fidelity full|fast] [--runs 1000] [--length 3]
//                                  [--node task|transform] [--inline on|off]
//                                  [--rounds 7] [--warmup 3] [--chunk 0] [--concurrency N]
//                                  [--dir PARENT] [--tracing] [--json]
//
// --node transform: chains of pure nodes, which the orchestrator runs itself (a run is one
// decision) unless --inline off sends them to the runner.
// --tracing starts tracing from the OTEL_* variables first (bench/tracing.mjs compares).
import { performance } from 'node:perf_hooks';
import {
  chain,
  fmt,
  fmtInt,
  median,
  openEngine,
  parseArgs,
  progress,
  report,
  spread,
  traceIf,
} from './lib/harness.mjs';

const TARGETS = { file: 10_000, memory: 100_000 };

const opts = parseArgs(process.argv.slice(2), {
  fidelity: 'full',
  node: 'task',
  inline: 'on',
  store: 'file',
  runs: 1000,
  length: 3,
  rounds: 7,
  warmup: 3,
  chunk: 0,
  concurrency: 0,
  dir: '',
  tracing: false,
  json: false,
});
if (!(opts.store in TARGETS)) throw new Error(`--store must be file or memory, got ${opts.store}`);

const tracing = await traceIf(opts.tracing);
if (!['full', 'fast'].includes(opts.fidelity)) throw new Error('--fidelity must be full or fast');
const definition = chain(opts.length, opts.fidelity, opts.node);
const { engine, home, close } = await openEngine({
  store: opts.store,
  concurrency: opts.concurrency,
  parent: opts.dir || undefined,
  inline: opts.inline,
});

let round; // the round in flight: counters and its end
engine.onEvent((e) => {
  const r = round;
  if (r === undefined) return;
  r.events++;
  if (e.type === 'NodeSucceeded') r.transitions++;
  else if (e.type === 'RunCompleted') {
    if (++r.completed === opts.runs) r.done(performance.now());
  } else if (e.type === 'RunFailed' || e.type === 'RunCancelled') {
    r.fail(new Error(`run ${e.runId} ended with ${e.type}: ${JSON.stringify(e.data)}`));
  }
});

/** Starts all runs at once (or --chunk at a time, each chunk awaited before the next). */
async function startAll() {
  const chunk = opts.chunk > 0 ? opts.chunk : opts.runs;
  for (let first = 0; first < opts.runs; first += chunk) {
    const n = Math.min(chunk, opts.runs - first);
    await Promise.all(Array.from({ length: n }, () => engine.control.start(definition, {})));
  }
}

async function oneRound() {
  let done, fail;
  const ended = new Promise((resolve, reject) => {
    done = resolve;
    fail = reject;
  });
  round = { events: 0, transitions: 0, completed: 0, done, fail };
  const t0 = performance.now();
  await startAll();
  const startedMs = performance.now() - t0;
  const t1 = await ended;
  const r = round;
  round = undefined;
  const ms = t1 - t0;
  if (r.transitions !== opts.runs * opts.length) {
    throw new Error(`${r.transitions} transitions, expected ${opts.runs * opts.length}`);
  }
  return {
    ms,
    startedMs,
    transitions: r.transitions,
    events: r.events,
    transitionsPerSec: (r.transitions / ms) * 1000,
    eventsPerSec: (r.events / ms) * 1000,
  };
}

try {
  progress(
    `concurrent-runs: store=${opts.store} home=${home} runs=${opts.runs} length=${opts.length}`,
  );
  for (let i = 0; i < opts.warmup; i++) {
    const w = await oneRound();
    progress(`  warm-up ${i + 1}: ${fmtInt(w.transitionsPerSec)} transitions/s`);
  }
  const rounds = [];
  for (let i = 0; i < opts.rounds; i++) {
    const r = await oneRound();
    rounds.push(r);
    progress(
      `  round ${i + 1}: ${fmt(r.ms, 1)} ms (starts resolved at ${fmt(r.startedMs, 1)} ms), ` +
        `${fmtInt(r.transitionsPerSec)} transitions/s, ${fmtInt(r.eventsPerSec)} events/s`,
    );
  }
  const tps = rounds.map((r) => r.transitionsPerSec);
  const target = TARGETS[opts.store];
  const result = {
    benchmark: 'concurrent-runs',
    row: opts.store === 'file' ? 2 : 3,
    store: opts.store,
    fidelity: opts.fidelity,
    node: opts.node,
    inline: opts.inline,
    tracing: opts.tracing,
    runs: opts.runs,
    chainLength: opts.length,
    rounds,
    medianTransitionsPerSec: median(tps),
    medianEventsPerSec: median(rounds.map((r) => r.eventsPerSec)),
    medianRoundMs: median(rounds.map((r) => r.ms)),
    medianStartsResolvedMs: median(rounds.map((r) => r.startedMs)),
    spread: spread(tps),
    target: { metric: 'medianTransitionsPerSec', op: '>=', value: target },
    met: median(tps) >= target,
  };
  const m = result.medianTransitionsPerSec;
  report(opts.json, result, [
    `concurrent-runs (ARCHITECTURE §11 row ${result.row}): ${opts.runs} runs x ${opts.length}-node no-op ${opts.node} chain started at once, store=${opts.store}, fidelity ${opts.fidelity}, inline ${opts.inline}`,
    `  node transitions (NodeSucceeded) per round: ${opts.runs * opts.length}; events per round: ${rounds[0].events}`,
    `  median of ${opts.rounds} rounds: ${fmt(result.medianRoundMs, 1)} ms/round, ${fmtInt(m)} transitions/s, ${fmtInt(result.medianEventsPerSec)} events/s (spread ${fmt(result.spread * 100, 0)}%)`,
    `  target: >= ${fmtInt(target)} transitions/s -> ${result.met ? 'MET' : `MISSED by ${fmtInt(target - m)}/s (${fmt((m / target) * 100, 0)}% of target)`}`,
  ]);
} finally {
  await close();
  await tracing.shutdown();
}
