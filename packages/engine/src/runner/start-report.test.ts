// When the runner reports an attempt's start (start-report.ts): on its own once the attempt has
// run `startReportMs`, else with the result (`withStart`), and never for a quiet job; the
// orchestrator turns a result with its start into the two triggers a runner's two messages bring.
import { Topic } from '@aob/core';
import type { NodeJob } from '@aob/core';
import { MemoryBus } from '@aob/bus';
import { MemoryContentStore } from '@aob/store';
import { afterEach, describe, expect, it } from 'vitest';
import { triggersOf } from '../orchestrator/results.js';
import { nodeJob } from '../testing/node-job.js';
import type { ResultMessage } from './runner.js';
import { Runner } from './runner.js';

const open: { runner: Runner; bus: MemoryBus }[] = [];
afterEach(async () => {
  for (const { runner, bus } of open.splice(0)) {
    const stopped = runner.stop();
    await bus.close();
    await stopped;
  }
});

/** Runs `job` on a runner whose handler sleeps `sleepMs`; every result message, in order. */
async function resultsOf(
  job: NodeJob,
  sleepMs: number,
  startReportMs?: number,
): Promise<ResultMessage[]> {
  const bus = new MemoryBus();
  const runner = new Runner({
    bus,
    content: new MemoryContentStore(),
    options: {
      handlers: { work: () => new Promise((r) => setTimeout(() => r({ ok: true }), sleepMs)) },
      allowPrivateNetwork: false,
    },
    concurrency: 1,
    consumer: 'r1',
    ...(startReportMs !== undefined ? { startReportMs } : {}),
  });
  await bus.ensureGroup('test', [Topic.results]);
  await runner.start();
  open.push({ runner, bus });
  await bus.publish(Topic.jobsMedium, job.runId, job);
  const seen: ResultMessage[] = [];
  for (;;) {
    const batch = await bus.read({
      group: 'test',
      consumer: 't',
      topics: [Topic.results],
      blockMs: 1_000,
    });
    for (const m of batch) seen.push(m.value as ResultMessage);
    if (seen.some((r) => r.kind === 'succeeded' || r.kind === 'failed')) return seen;
  }
}

describe('the runner reports a start', () => {
  it('with the result of an attempt that ends before startReportMs', async () => {
    const results = await resultsOf(nodeJob('run-quick'), 0, 200);
    expect(results.map((r) => r.kind)).toEqual(['succeeded']);
    expect(results[0]).toMatchObject({ withStart: true });
  });

  it('on its own, first, for an attempt still running after startReportMs', async () => {
    const results = await resultsOf(nodeJob('run-slow'), 150, 20);
    expect(results.map((r) => r.kind)).toEqual(['started', 'succeeded']);
    expect(results[1]).not.toHaveProperty('withStart');
  });

  it('at once with startReportMs 0', async () => {
    const results = await resultsOf(nodeJob('run-now'), 0, 0);
    expect(results.map((r) => r.kind)).toEqual(['started', 'succeeded']);
  });

  it('never for a quiet job (fidelity fast)', async () => {
    const results = await resultsOf(nodeJob('run-quiet', { quiet: true }), 0, 200);
    expect(results.map((r) => r.kind)).toEqual(['succeeded']);
    expect(results[0]).not.toHaveProperty('withStart');
  });
});

describe('triggersOf', () => {
  const base = { runId: 'r', nodeId: 'a', attempt: 2, iteration: 3 };
  const output = { $cas: 'sha256:00' as const, size: 1 };

  it('puts the start a result carries before its outcome', () => {
    expect(triggersOf({ ...base, kind: 'succeeded', output, withStart: true })).toEqual([
      { type: 'nodeStarted', nodeId: 'a', attempt: 2, iteration: 3 },
      { type: 'nodeSucceeded', nodeId: 'a', attempt: 2, iteration: 3, output },
    ]);
  });

  it('brings only the outcome of a result without its start', () => {
    const error = { code: 'BOOM', message: 'no', retryable: false };
    expect(triggersOf({ ...base, kind: 'failed', error })).toEqual([
      { type: 'nodeFailed', nodeId: 'a', attempt: 2, iteration: 3, error },
    ]);
  });
});
