// The group-commit planner on its own: which appends of a batch are accepted, and what it writes.
import { describe, expect, it } from 'vitest';
import type { AnyNewEvent, AobError } from '@aob/core';
import { log, started } from './conformance/fixtures.js';
import { createColumns, loseRuns, optimisticPlan, planBatch, writeColumns } from './pg-batch.js';
import type { LockedRun, QueuedAppend } from './pg-batch.js';
import { prepareAppend } from './run-log.js';

function queued(runId: string, expectedSeq: number, events: AnyNewEvent[]): QueuedAppend {
  return {
    ...prepareAppend(runId, `ir-${runId}`, expectedSeq, events),
    outbox: [
      { topic: 't', key: runId, payload: '{}', headers: '{}', claimedBy: null, leaseMs: null },
    ],
    resolve: () => undefined,
    reject: () => undefined,
  };
}

const codes = (outcomes: (AobError | undefined)[]) => outcomes.map((o) => o?.code ?? 'ok');

describe('planBatch', () => {
  it('checks each append against its run as the batch has moved it', () => {
    const locked = new Map<string, LockedRun>([['old', { lastSeq: 4, status: 'waiting' }]]);
    const batch = [
      queued('new', 0, [started(10)]),
      queued('new', 1, [log(11), log(12)]), // pipelined on the run created above
      queued('new', 1, [log(11)]), // same seq again: loses
      queued('old', 4, [log(20)]),
      queued('old', 4, [log(21)]), // loses
      queued('old', 5, []), // seq check after the first append to old
      queued('bad', 0, [log(1)]), // not a RunStarted
      queued('old', 0, [started(1)]), // exists already
    ];
    const plan = planBatch(batch, locked);
    expect(codes(plan.outcomes)).toEqual([
      'ok',
      'ok',
      'SEQ_CONFLICT',
      'ok',
      'SEQ_CONFLICT',
      'ok',
      'INVALID_APPEND',
      'SEQ_CONFLICT',
    ]);
    expect(plan.outcomes[2]?.details).toEqual({ runId: 'new', expectedSeq: 1, lastSeq: 3 });

    // The new run is created with its state after both accepted appends.
    expect(createColumns(plan)).toEqual([
      ['new'],
      ['demo@1.0.0'],
      ['ir-new'],
      ['running'],
      [10],
      [12],
      [3],
      [null],
      ['default'],
    ]);
    const cols = writeColumns(batch, plan);
    expect(cols).toHaveLength(21);
    // Summaries advanced: only the run that existed (status kept: NodeLog changes none).
    expect(cols.slice(0, 5)).toEqual([['old'], [5], [20], ['ir-old'], ['waiting']]);
    // Events of the accepted appends, with their seqs.
    expect(cols[5]).toEqual(['new', 'new', 'new', 'old']);
    expect(cols[6]).toEqual([1, 2, 3, 5]);
    // One outbox row per accepted append that carries one (the seq check carries one too).
    expect(cols[14]).toEqual(['new', 'new', 'old', 'old']);
    // Unclaimed rows: no claim token, no lease.
    expect(cols[17]).toEqual([null, null, null, null]);
    expect(cols[18]).toEqual([null, null, null, null]);
  });

  it('drops everything written to runs another writer created first', () => {
    const batch = [
      queued('a', 0, [started(1)]),
      queued('a', 1, [log(2)]),
      queued('b', 0, [started(1)]),
    ];
    const plan = planBatch(batch, new Map());
    loseRuns(batch, plan, new Map([['a', 7]]));
    expect(codes(plan.outcomes)).toEqual(['SEQ_CONFLICT', 'SEQ_CONFLICT', 'ok']);
    expect(plan.outcomes[1]?.details).toMatchObject({ lastSeq: 7 });
    const cols = writeColumns(batch, plan);
    expect(cols[5]).toEqual(['b']);
    expect(cols[14]).toEqual(['b']);
  });
});

describe('optimisticPlan', () => {
  it('plans a batch on its runs as its appends expect them, leaving their status unread', () => {
    const batch = [
      queued('a', 3, [log(1)]),
      queued('b', 7, [log(2), log(3)]),
      queued('a', 4, [{ type: 'RunWaiting', at: 4, data: { tickets: ['t'] } }]),
    ];
    const optimistic = optimisticPlan(batch)!;
    expect(optimistic.runIds).toEqual(['a', 'b']);
    expect(optimistic.lastSeqs).toEqual([3, 7]);
    expect(codes(optimistic.plan.outcomes)).toEqual(['ok', 'ok', 'ok']);
    // The summaries: a's status set by its RunWaiting, b's left to the row (null).
    const [runIds, lastSeqs, , , statuses] = writeColumns(batch, optimistic.plan) as unknown[][];
    expect(runIds).toEqual(['a', 'b']);
    expect(lastSeqs).toEqual([5, 9]);
    expect(statuses).toEqual(['waiting', null]);
  });

  it('plans the runs a batch creates as new, to be checked absent', () => {
    const batch = [
      queued('a', 3, [log(1)]),
      queued('new', 0, [started(2)]),
      queued('new', 1, [log(3)]),
    ];
    const optimistic = optimisticPlan(batch)!;
    expect(optimistic.runIds).toEqual(['a']);
    expect(optimistic.newRunIds).toEqual(['new']);
    expect(codes(optimistic.plan.outcomes)).toEqual(['ok', 'ok', 'ok']);
    // The new run is created with both appends' events; only a's summary is updated.
    const created = createColumns(optimistic.plan) as unknown[][];
    expect(created[0]).toEqual(['new']);
    expect(created[6]).toEqual([2]);
    expect((writeColumns(batch, optimistic.plan) as unknown[][])[0]).toEqual(['a']);
  });

  it('declines a batch whose appends to a run do not follow each other', () => {
    expect(optimisticPlan([queued('a', 3, [log(1)]), queued('a', 3, [log(2)])])).toBe(undefined);
    expect(optimisticPlan([queued('new', 0, [started(1)]), queued('new', 0, [started(2)])])).toBe(
      undefined,
    );
  });
});
