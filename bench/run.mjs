// Runs the ARCHITECTURE §11 benchmarks, each in its own child process (no shared heap, JIT state or
// store), --repeat times; prints one table of medians against the targets and writes every
// figure, with a description of the machine, to bench/results/latest.json.
//
//   npm run bench [-- --quick] [-- --repeat 3] [-- --only chain-hop,concurrent-runs-file]
//                 [-- --dir PARENT] [-- --strict]
//
// --quick is a smoke run (fewer runs and rounds, one repeat; well under 30 s).
// --strict exits 1 when a target is missed (a crashed benchmark always exits 1).
//
//   npm run bench -- --peers [--quick] [--rounds N] [--json]
//
// --peers runs bench/peers/run.mjs instead (aob beside DBOS, LangGraph and graphile-worker; every
// other argument is its own) and exits with its code.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, fmtInt, median, parseArgs, spread } from './lib/harness.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = dirname(BENCH);

if (process.argv.includes('--peers')) {
  const args = process.argv.slice(2).filter((a) => a !== '--peers');
  const peers = spawnSync(process.execPath, [join(BENCH, 'peers', 'run.mjs'), ...args], {
    cwd: REPO,
    stdio: 'inherit',
  });
  process.exit(peers.status ?? 1);
}

const opts = parseArgs(process.argv.slice(2), {
  quick: false,
  repeat: 0,
  only: '',
  dir: '',
  strict: false,
});
const repeat = opts.repeat > 0 ? opts.repeat : opts.quick ? 1 : 3;

/** figure(result) is the number compared with the target; unit says how to read it. */
const BENCHMARKS = [
  {
    id: 'chain-hop',
    row: 1,
    workload: '10-node no-op chain, file store: overhead per hop',
    script: 'chain-hop.mjs',
    args: opts.quick ? ['--runs', '40', '--warmup', '10'] : ['--runs', '200', '--warmup', '20'],
    metric: 'hop p50',
    unit: 'ms',
    figure: (r) => r.hop.p50,
    extra: (r) =>
      `hop p90 ${fmt(r.hop.p90)} p99 ${fmt(r.hop.p99)} ms; run p50 ${fmt(r.runLatency.p50, 2)} p99 ${fmt(r.runLatency.p99, 2)} ms`,
  },
  {
    id: 'concurrent-runs-file',
    row: 2,
    workload: '1,000 concurrent 3-node runs, file store',
    script: 'concurrent-runs.mjs',
    args: ['--store', 'file', ...(opts.quick ? ['--warmup', '2', '--rounds', '3'] : [])],
    metric: 'transitions/s',
    unit: '/s',
    figure: (r) => r.medianTransitionsPerSec,
    extra: (r) => `${fmtInt(r.medianEventsPerSec)} events/s; ${fmt(r.medianRoundMs, 0)} ms/round`,
  },
  {
    id: 'concurrent-runs-memory',
    row: 3,
    workload: '1,000 concurrent 3-node runs, memory store',
    script: 'concurrent-runs.mjs',
    args: ['--store', 'memory', ...(opts.quick ? ['--warmup', '2', '--rounds', '3'] : [])],
    metric: 'transitions/s',
    unit: '/s',
    figure: (r) => r.medianTransitionsPerSec,
    extra: (r) => `${fmtInt(r.medianEventsPerSec)} events/s; ${fmt(r.medianRoundMs, 0)} ms/round`,
  },
  {
    id: 'cluster',
    row: 4,
    workload: 'cluster topology on one machine: PG + Kafka + S3 + orchestrator + runner',
    script: 'cluster.mjs',
    args: opts.quick ? ['--runs', '300', '--rounds', '2', '--chain-runs', '10'] : [],
    metric: 'transitions/s',
    unit: '/s',
    figure: (r) => r.medianTransitionsPerSec,
    extra: (r) =>
      `hop p50 ${fmt(r.hop.p50, 1)} p99 ${fmt(r.hop.p99, 1)} ms (targets 5 / 25); run p50 ${fmt(r.runLatency.p50, 0)} ms`,
  },
  {
    id: 'runner-kill',
    row: 5,
    workload:
      'runner killed with kill -9 mid-run (Redis Streams bus; --bus kafka: resume = session timeout)',
    script: 'runner-kill.mjs',
    args: ['--bus', 'redis'],
    metric: 'resume ms',
    unit: 'ms',
    figure: (r) => r.resumeMs,
    extra: (r) =>
      `${fmt(r.resumeAfterReadyMs, 0)} ms after ready; lost ${r.lost}, finished re-executed ${r.reExecutedFinished}, in-flight once more ${r.reExecutedInFlight}`,
  },
];

const selected = opts.only
  ? BENCHMARKS.filter((b) => opts.only.split(',').includes(b.id))
  : BENCHMARKS;
if (selected.length === 0) {
  throw new Error(`--only matched nothing; benchmarks: ${BENCHMARKS.map((b) => b.id).join(', ')}`);
}

/** Runs one benchmark process with --json; resolves with its one JSON document. */
function runOnce(b) {
  const args = [
    join(BENCH, b.script),
    ...b.args,
    ...(opts.dir ? ['--dir', opts.dir] : []),
    '--json',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`${b.id} exited with ${code}:\n${err}`));
        return;
      }
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`${b.id} printed no JSON document:\n${out}\n${err}`));
      }
    });
  });
}

function machine() {
  const git = (...a) => {
    try {
      return execFileSync('git', a, { cwd: REPO, encoding: 'utf8' }).trim();
    } catch {
      return undefined;
    }
  };
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    commit: git('rev-parse', '--short', 'HEAD'),
    dirty: (git('status', '--porcelain', '--', 'packages', 'schemas') ?? '') !== '',
  };
}

const header = machine();
const loadBefore = loadavg();
console.log(
  `aob benchmarks (ARCHITECTURE §11) — ${header.cpus} CPUs, node ${header.node}, ${header.date}` +
    `${opts.quick ? ', quick' : ''}; each benchmark x${repeat} in its own process`,
);
console.log(`load average before: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);

const rows = [];
let crashed = false;
for (const b of selected) {
  const results = [];
  for (let i = 0; i < repeat; i++) {
    process.stdout.write(`  ${b.id} ${i + 1}/${repeat} ... `);
    const t0 = Date.now();
    try {
      const r = await runOnce(b);
      results.push(r);
      console.log(
        `${fmt(b.figure(r), b.unit === 'ms' ? 3 : 0)} ${b.metric} (${Date.now() - t0} ms)`,
      );
    } catch (err) {
      crashed = true;
      console.log('FAILED');
      console.error(err.message);
    }
  }
  if (results.length === 0) continue;
  const figures = results.map(b.figure);
  const target = results[0].target;
  const value = median(figures);
  const met = target.op === '<=' ? value <= target.value : value >= target.value;
  rows.push({
    id: b.id,
    row: b.row,
    workload: b.workload,
    metric: b.metric,
    unit: b.unit,
    median: value,
    figures,
    spread: spread(figures),
    target,
    met,
    // The details shown are those of the repeat whose figure is the median (the lower middle one).
    extra: b.extra(
      [...results].sort((x, y) => b.figure(x) - b.figure(y))[(results.length - 1) >> 1],
    ),
    results,
  });
}
const loadAfter = loadavg();

const show = (row, x) => (row.unit === 'ms' ? `${fmt(x)} ms` : `${fmtInt(x)}/s`);
const table = [
  ['§11 row', 'benchmark', 'metric', 'median', 'target', 'status', 'spread'],
  ...rows.map((r) => [
    String(r.row),
    r.id,
    r.metric,
    show(r, r.median),
    `${r.target.op} ${show(r, r.target.value)}`,
    r.met
      ? 'met'
      : r.unit === 'ms'
        ? `MISSED (${fmt(r.median / r.target.value, 1)}x)`
        : `MISSED (${fmt((100 * r.median) / r.target.value, 0)}%)`,
    `${fmt(r.spread * 100, 0)}%`,
  ]),
];
const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
console.log('');
for (const [i, row] of table.entries()) {
  console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  '));
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
console.log('');
for (const r of rows) console.log(`  ${r.id}: ${r.extra}`);
console.log(`load average after: ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`);
console.log('spread = (max - min) / median over the repeats; median of medians is the figure.');

const outDir = join(BENCH, 'results');
mkdirSync(outDir, { recursive: true });
const outFile = join(outDir, 'latest.json');
writeFileSync(
  outFile,
  `${JSON.stringify({ machine: header, quick: opts.quick, repeat, loadBefore, loadAfter, benchmarks: rows }, null, 2)}\n`,
);
console.log(`wrote ${relative(REPO, outFile)}`);

if (crashed || (opts.strict && rows.some((r) => !r.met))) process.exitCode = 1;
