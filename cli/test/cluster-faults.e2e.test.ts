// Repeated faults on the cluster topology (issue 10), the bounded version: api ×2, orchestrator ×2
// and runner ×2 as separate `aob server` processes on a private PostgreSQL, Kafka and S3 server;
// 120 runs started through REST while 8 faults drawn from the seed hit them — SIGKILL + restart of
// a runner, an orchestrator and an api, a graceful stop + restart, a scale-up and a scale-down,
// each at least once. Every acknowledged run must complete with its expected output, none lost or
// stuck, no finished attempt executed again, logs dense with one terminal event, sampled SSE
// timelines equal to the log. Then the same on the small install's bus: Redis Streams, with the
// runners' attempt ledger in Redis (80 runs, seed 44). The seeds are fixed (AOB_FAULT_SEED
// overrides them); the soak script (scripts/soak-faults.ts) runs the scenario over many seeds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultInfra, FaultResult } from './fault-scenario.js';
import { faultSeed, launchFaultInfra, reportFaults, runFaultScenario } from './fault-scenario.js';

// Seed 43's schedule: kill runner-2, scale-up runner-3, stop orchestrator-2, stop runner-1,
// kill api-2, kill runner-1, scale-down runner-3, kill orchestrator-1 — graceful stops of both
// consuming services and a runner rebalance both ways, besides a kill of each service.
const DEFAULT_SEED = 43;
const RUNS = 120;
const FAULTS = 8;
// The small install's run: another seed's schedule, fewer runs (the CI budget).
const SMALL_INSTALL_SEED = 44;
const SMALL_INSTALL_RUNS = 80;

let infra: (FaultInfra & { stop(): Promise<void> }) | undefined;

beforeAll(async () => {
  infra = await launchFaultInfra();
}, 180_000);

afterAll(async () => {
  await infra?.stop();
}, 120_000);

describe('the cluster under repeated faults', () => {
  it(`completes every acknowledged run exactly as expected through ${FAULTS} faults of every kind`, async () => {
    const seed = faultSeed(DEFAULT_SEED);
    const result = await runFaultScenario(
      { seed, runs: RUNS, faults: FAULTS, quiesceMs: 60_000, drainTimeoutMs: 150_000 },
      infra!,
    );
    reportFaults(result);
    expectEveryRunRight(result, seed);
  }, 300_000);

  // The small install's bus and attempt ledger under the same schedule of faults: Redis Streams
  // hands a killed runner's jobs to the other after AOB_REDELIVER_MS, and the ledger in Redis
  // keeps a finished attempt from running again.
  it(`does the same on Redis Streams with the ledger in Redis (the small install)`, async () => {
    const seed = faultSeed(SMALL_INSTALL_SEED);
    const result = await runFaultScenario(
      {
        seed,
        runs: SMALL_INSTALL_RUNS,
        faults: FAULTS,
        bus: 'redis',
        quiesceMs: 60_000,
        drainTimeoutMs: 150_000,
      },
      infra!,
    );
    reportFaults(result);
    expectEveryRunRight(result, seed);
  }, 300_000);
});

/** Every check of the scenario: the faults were what they say, and no run was wronged. */
function expectEveryRunRight(result: FaultResult, seed: number): void {
  const s = result.summary;
  // The schedule really covered every kind, while runs were in flight.
  for (const kind of ['kill:runner', 'kill:orchestrator', 'kill:api']) {
    expect(s.faultsByKind[kind], kind).toBeGreaterThan(0);
  }
  const kinds = new Set(s.faults.map((f) => f.kind));
  expect([...kinds].sort()).toEqual(['kill', 'scale-down', 'scale-up', 'stop']);
  // Each fault did what it says: no restart that failed, no graceful stop that had to be
  // SIGKILLed, no kill of a process that had already died.
  expect(
    s.faults.filter((f) => f.note),
    JSON.stringify(s.faults),
  ).toEqual([]);
  expect(s.faults.some((f) => (f.runsInFlight ?? 0) > 0)).toBe(true);
  // Every start was answered (retried on the other api while one was down).
  expect(s.unacknowledged).toBe(0);
  const detail = result.offenders
    .slice(0, 15)
    .map((o) => `${o.runId}: ${o.problems.join('; ')} [${o.lastEvents.join(' | ')}]`)
    .join('\n');
  expect(
    {
      stuck: s.stuck,
      lost: s.lost,
      failed: s.failed,
      wrongOutput: s.wrongOutput,
      badLogs: s.badLogs,
      duplicateDecisions: s.duplicateDecisions,
      reExecutions: s.reExecutions,
      unexplainedDuplicates: s.unexplainedDuplicates,
      // A graceful stop finishes the jobs in hand and starts no other: nothing it ran runs again.
      allowedAfterGracefulStop: s.allowedAfterGracefulStop,
      missingExecutions: s.missingExecutions,
      unexpectedExits: s.unexpectedExits,
      startFailures: s.startFailures,
      sseMismatch: s.sseMismatch,
      failedChecks: s.failedChecks,
    },
    `seed ${seed}:\n${detail}`,
  ).toEqual({
    stuck: 0,
    lost: 0,
    failed: 0,
    wrongOutput: 0,
    badLogs: 0,
    duplicateDecisions: 0,
    reExecutions: 0,
    unexplainedDuplicates: 0,
    allowedAfterGracefulStop: 0,
    missingExecutions: 0,
    unexpectedExits: 0,
    startFailures: 0,
    sseMismatch: 0,
    failedChecks: [],
  });
  expect(s.completed).toBeGreaterThanOrEqual(s.acknowledged);
}
