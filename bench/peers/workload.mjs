// One measurement of one engine in a process of its own (bench/peers/run.mjs starts one per
// engine, workload and round). The workloads are the same for every engine (engines/*.mjs):
//
//   chain       --runs R of a --length-step chain of no-op steps, one run at a time, after
//               --warmup runs. A step's latency is the time from one step's start to the next's
//               in the same run (length - 1 per run): for aob NodeStarted as onEvent delivers it,
//               for the peers the step function's first line. Per-step p50/p99 over all of them.
//   concurrent  --concurrent N runs of a --length-step chain started at once; steps/s =
//               N x length / (first start -> last run ended); --warmup rounds, then the median
//               of --rounds rounds.
//   fanout      --width no-op steps at once, then one join step; wall time from the start to the
//               run's end, p50 of --runs runs after --warmup.
//   recovery-start / recovery-resume   a --length chain whose steps append start/end lines to
//               --exec-log and sleep --step-ms (bench/peers/recovery.mjs kills the first process
//               with SIGKILL and times the second).
//
//   node bench/peers/workload.mjs --engine aob-normal|aob-full|aob-memory|dbos|langgraph|graphile
//     --workload chain|concurrent|fanout [--db postgresql://…] [--json] …
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { median, parseArgs, progress, report, summarise } from '../lib/harness.mjs';

const opts = parseArgs(process.argv.slice(2), {
  engine: '',
  workload: '',
  db: '',
  length: 10,
  runs: 100,
  warmup: 10,
  concurrent: 50,
  rounds: 5,
  width: 100,
  key: '',
  execLog: '',
  stepMs: 150,
  json: false,
});

let steps = 0;
let marks = [];
const onStep = () => {
  steps++;
  marks.push(performance.now());
};
const recoveryStep = async (run, node) => {
  const line = (phase) =>
    appendFileSync(
      opts.execLog,
      `${JSON.stringify({ run, node, pid: process.pid, at: Date.now(), phase })}\n`,
    );
  line('start');
  await new Promise((r) => setTimeout(r, opts.stepMs));
  line('end');
  return node;
};

const [family, variant] = opts.engine.split('-');
const adapter = await import(`./engines/${family}.mjs`).catch(() => {
  throw new Error(`unknown --engine ${opts.engine}`);
});
const resume = opts.workload === 'recovery-resume' ? opts.key : undefined;
const engine = await adapter.open({ variant, db: opts.db, onStep, recoveryStep, resume });

async function chain() {
  for (let i = 0; i < opts.warmup; i++) await engine.run(opts.length);
  const gaps = [];
  const runs = [];
  for (let i = 0; i < opts.runs; i++) {
    marks = [];
    const t0 = performance.now();
    await engine.run(opts.length);
    runs.push(performance.now() - t0);
    if (marks.length !== opts.length) {
      throw new Error(`${opts.engine}: ${marks.length} steps in a run, expected ${opts.length}`);
    }
    for (let s = 1; s < marks.length; s++) gaps.push(marks[s] - marks[s - 1]);
  }
  const step = summarise(gaps);
  return { step, run: summarise(runs) };
}

async function concurrent() {
  const round = async () => {
    steps = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: opts.concurrent }, () => engine.run(opts.length)));
    const ms = performance.now() - t0;
    if (steps !== opts.concurrent * opts.length) {
      throw new Error(`${opts.engine}: ${steps} steps, expected ${opts.concurrent * opts.length}`);
    }
    return { ms, stepsPerSec: (steps / ms) * 1000 };
  };
  for (let i = 0; i < opts.warmup; i++) await round();
  const rounds = [];
  for (let i = 0; i < opts.rounds; i++) rounds.push(await round());
  // The process's peak resident memory over warm-up and rounds: every run of a round in flight
  // at once, with the engine, its store's clients and (aob-pg) the services in this process.
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  return { stepsPerSec: median(rounds.map((r) => r.stepsPerSec)), rounds, peakRssMiB };
}

async function fanout() {
  if (!engine.fanout) return { unsupported: true };
  for (let i = 0; i < opts.warmup; i++) await engine.fanout(opts.width);
  const walls = [];
  for (let i = 0; i < opts.runs; i++) {
    const t0 = performance.now();
    await engine.fanout(opts.width);
    walls.push(performance.now() - t0);
  }
  return { wall: summarise(walls) };
}

const workloads = {
  chain,
  concurrent,
  fanout,
  // Runs until recovery.mjs kills the process.
  'recovery-start': () => engine.recoveryStart(opts.key, opts.length),
  'recovery-resume': async () => {
    await engine.recoveryResume(opts.key, opts.length);
    return { resumed: true };
  },
};
if (!(opts.workload in workloads)) throw new Error(`unknown --workload ${opts.workload}`);

try {
  progress(`${opts.engine} ${opts.workload}`);
  const result = await workloads[opts.workload]();
  report(opts.json, { engine: opts.engine, workload: opts.workload, ...result }, [
    JSON.stringify(result, null, 2),
  ]);
} finally {
  await engine.close();
}
