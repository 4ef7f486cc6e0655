// The repeated-fault soak (issue 10): the scenario of cli/test/fault-scenario.ts for many seeds,
// one after the other, on one private Kafka, PostgreSQL and S3 server (each seed gets a fresh
// database, topic prefix and object prefix). One line per seed, then a tally; the FAULT-SUMMARY
// line of every seed goes to stderr. Exits 1 when any seed failed a check.
//
//   npx vite-node scripts/soak-faults.ts [--seeds 20] [--runs 200] [--faults 12] [--start-seed S]
//                                        [--sse 10] [--quiesce-ms 60000] [--json FILE]
//                                        [--bus kafka|redis] [--colocate]
//
// --bus redis: the small install's bus, Redis Streams on REDIS_URL (default 127.0.0.1:6379), with
// the runners' attempt ledger in the same Redis; default kafka (the cluster). --colocate: each
// orchestrator process runs a runner too and hands its jobs to it (beside the runner processes).
// Seeds are S, S+1, … (S defaults to a random one, printed, so a run of the soak can be replayed).
// The CLI must be built (`npm run build`): the services are the real `aob server` binary.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { FaultResult, FaultSummary } from '../cli/test/fault-scenario.js';
import {
  faultSeed,
  launchFaultInfra,
  reportFaults,
  runFaultScenario,
} from '../cli/test/fault-scenario.js';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '20' },
    runs: { type: 'string', default: '200' },
    faults: { type: 'string', default: '12' },
    'start-seed': { type: 'string' },
    sse: { type: 'string', default: '10' },
    'quiesce-ms': { type: 'string', default: '60000' },
    json: { type: 'string' },
    bus: { type: 'string', default: 'kafka' },
    colocate: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});

const int = (name: string, raw: string | undefined, min: number): number => {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) {
    process.stderr.write(`--${name} must be an integer ≥ ${min}, not "${raw}"\n`);
    process.exit(2);
  }
  return n;
};
const seeds = int('seeds', args.seeds, 1);
const runs = int('runs', args.runs, 1);
const faults = int('faults', args.faults, 0);
const sse = int('sse', args.sse, 0);
const quiesceMs = int('quiesce-ms', args['quiesce-ms'], 1_000);
const startSeed =
  args['start-seed'] !== undefined ? int('start-seed', args['start-seed'], 0) : faultSeed();

if (args.bus !== 'kafka' && args.bus !== 'redis') {
  process.stderr.write(`--bus must be kafka or redis, not "${args.bus}"\n`);
  process.exit(2);
}
const bus = args.bus;

const out = (line: string) => process.stdout.write(`${line}\n`);
out(
  `soak: ${seeds} seeds from ${startSeed} (--start-seed ${startSeed} replays them), ` +
    `${runs} runs and ${faults} faults each, on ${bus === 'redis' ? 'Redis Streams' : 'Kafka'}` +
    (args.colocate ? ', orchestrators running a runner each' : ''),
);

const infra = await launchFaultInfra();
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await infra.stop().catch(() => undefined);
};
process.once('SIGINT', () => void stop().then(() => process.exit(130)));
process.once('SIGTERM', () => void stop().then(() => process.exit(143)));

const results: { seed: number; summary?: FaultSummary; error?: string }[] = [];
const began = Date.now();
try {
  for (let n = 0; n < seeds && !stopping; n++) {
    const seed = startSeed + n;
    let result: FaultResult | undefined;
    try {
      result = await runFaultScenario(
        {
          seed,
          runs,
          faults,
          bus,
          colocate: args.colocate,
          sseSample: sse,
          quiesceMs,
          drainTimeoutMs: 300_000,
        },
        infra,
      );
    } catch (err) {
      results.push({ seed, error: String(err).slice(0, 300) });
      out(`seed ${seed}: BROKE ${String(err).slice(0, 300)}`);
      continue;
    }
    reportFaults(result);
    const s = result.summary;
    results.push({ seed, summary: s });
    out(
      `seed ${seed}: ${s.failedChecks.length === 0 ? 'ok    ' : 'FAILED'} acked ${s.acknowledged}/${s.runs}` +
        ` completed ${s.completed} stuck ${s.stuck} lost ${s.lost} wrong ${s.wrongOutput}` +
        ` re-exec ${s.reExecutions} unexplained-dup ${s.unexplainedDuplicates}` +
        ` allowed-dup ${s.allowedDuplicates} (graceful ${s.allowedAfterGracefulStop})` +
        ` sse ${s.sseChecked - s.sseMismatch}/${s.sseChecked}` +
        ` ${(s.durations.totalMs / 1000).toFixed(0)} s` +
        (s.failedChecks.length > 0 ? ` [${s.failedChecks.join(', ')}] logs ${s.dir}` : ''),
    );
  }
} finally {
  await stop();
}

// ---- the tally
const done = results.filter((r) => r.summary).map((r) => r.summary!);
const sum = (f: (s: FaultSummary) => number) => done.reduce((a, s) => a + f(s), 0);
const byKind: Record<string, number> = {};
for (const s of done) {
  for (const [k, v] of Object.entries(s.faultsByKind)) byKind[k] = (byKind[k] ?? 0) + v;
}
const rows: [string, string | number][] = [
  ['seeds run', `${done.length} of ${seeds} (${results.length - done.length} broke)`],
  ['seeds failing a check', done.filter((s) => s.failedChecks.length > 0).length],
  ['runs started', sum((s) => s.runs)],
  ['acknowledged', sum((s) => s.acknowledged)],
  ['unacknowledged', sum((s) => s.unacknowledged)],
  ['completed', sum((s) => s.completed)],
  ['failed (RunFailed/RunCancelled)', sum((s) => s.failed)],
  ['stuck', sum((s) => s.stuck)],
  ['lost', sum((s) => s.lost)],
  ['wrong outputs', sum((s) => s.wrongOutput)],
  ['bad logs (seqs, terminal)', sum((s) => s.badLogs)],
  ['duplicate decisions', sum((s) => s.duplicateDecisions)],
  ['finished attempts re-executed', sum((s) => s.reExecutions)],
  ['unexplained in-flight duplicates', sum((s) => s.unexplainedDuplicates)],
  [
    'attempts sent again by the stall watchdog',
    `${sum((s) => s.redispatches)} (in ${sum((s) => s.runsRedispatched)} runs)`,
  ],
  ['allowed in-flight duplicates', sum((s) => s.allowedDuplicates)],
  ['  of which after a graceful stop', sum((s) => s.allowedAfterGracefulStop)],
  ['unexpected process exits', sum((s) => s.unexpectedExits)],
  ['process starts not ready in 1 min', sum((s) => s.startFailures)],
  [
    'SSE timelines checked / differing',
    `${sum((s) => s.sseChecked)} / ${sum((s) => s.sseMismatch)}`,
  ],
  ['faults', sum((s) => s.faults.length)],
  ...Object.entries(byKind)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]): [string, number] => [`  ${k}`, v]),
  ['start latency max (ms)', Math.max(0, ...done.map((s) => s.startLatencyMs.max))],
  ['wall time (s)', Math.round((Date.now() - began) / 1000)],
];
const width = Math.max(...rows.map(([k]) => k.length));
out('');
out(`tally, seeds ${startSeed}..${startSeed + seeds - 1}:`);
for (const [k, v] of rows) out(`  ${k.padEnd(width)}  ${v}`);
const failing = results.filter((r) => r.error || r.summary!.failedChecks.length > 0);
if (failing.length > 0) {
  out(
    `failing seeds: ${failing
      .map((r) => `${r.seed} (${r.error ? 'broke' : r.summary!.failedChecks.join(', ')})`)
      .join('; ')}`,
  );
}
if (args.json)
  writeFileSync(args.json, JSON.stringify({ startSeed, seeds, runs, faults, results }, null, 2));
process.exit(failing.length > 0 ? 1 : 0);
