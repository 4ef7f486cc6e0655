import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AnyRunEvent } from '@aob/core';
import { WaterfallFolder, parseTraceparent, waterfallOf } from './waterfall.js';
import type { Waterfall, WaterfallRow } from './waterfall.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** A log from [at, type, data] triples (seq in order; `traceparent` on RunStarted). */
function log(
  runId: string,
  entries: [number, string, Record<string, unknown>][],
  traceparent?: string,
): AnyRunEvent[] {
  return entries.map(
    ([at, type, data], i) =>
      ({
        runId,
        seq: i + 1,
        at,
        irHash: 'sha256:ir',
        type,
        data,
        ...(type === 'RunStarted' && traceparent ? { traceparent } : {}),
      }) as unknown as AnyRunEvent,
  );
}

const started = (name = 'wf') => ({ workflow: { name, version: '1' }, inputs: { $cas: 'x' } });
const cas = { $cas: 'sha256:o', size: 1 };
const sched = (nodeId: string, attempt = 1, extra: Record<string, unknown> = {}) => ({
  nodeId,
  attempt,
  input: cas,
  inputHash: 'h',
  priority: 'normal',
  ...extra,
});

/** The rows as `  label status start+duration`, indented by depth: the shape at a glance. */
function shape(wf: Waterfall): string[] {
  return wf.rows.map(
    (r) =>
      `${'  '.repeat(r.depth)}${r.label} ${r.status} ${r.startMs}+${r.durationMs}${r.open ? ' open' : ''}`,
  );
}

const row = (wf: Waterfall, label: string): WaterfallRow => {
  const r = wf.rows.find((x) => x.label === label);
  if (!r) throw new Error(`no row ${label} in:\n${shape(wf).join('\n')}`);
  return r;
};

describe('a run’s waterfall from its log', () => {
  it('shows each attempt of a retried node as its own row, with its outcome, error code and backoff', () => {
    const golden = JSON.parse(
      readFileSync(fileURLToPath(new URL('../../core/golden/retry.json', import.meta.url)), 'utf8'),
    ) as { events: AnyRunEvent[] };
    const wf = waterfallOf(golden.events, { now: 9e12 })!;
    expect(wf.status).toBe('completed');
    expect(wf.durationMs).toBe(135);
    expect(shape(wf)).toEqual([
      'run flaky@1 completed 0+135',
      '  flaky #1 failed 0+0',
      '  flaky backoff before #2 succeeded 0+45',
      '  flaky #2 failed 45+0',
      '  flaky backoff before #3 succeeded 45+90',
      '  flaky #3 succeeded 135+0',
      '  after #1 succeeded 135+0',
    ]);
    const first = row(wf, 'flaky #1');
    expect(first).toMatchObject({
      kind: 'attempt',
      nodeId: 'flaky',
      attempt: 1,
      errorCode: 'FLAKY',
      outcome: 'will retry',
      selectNode: 'flaky',
      parentId: row(wf, 'run flaky@1').id,
    });
    expect(first.detail).toContain('FLAKY: flaky failure on attempt 1');
    expect(row(wf, 'flaky backoff before #2')).toMatchObject({ kind: 'retry', outcome: 'fired' });
    expect(wf.trace).toBeUndefined();
  });

  it('ends a failed node’s row at its failure, fails the run with its code, and reads the trace id', () => {
    const events = log(
      'r',
      [
        [1_000, 'RunStarted', started()],
        [1_000, 'NodeScheduled', sched('fetch')],
        [1_010, 'NodeStarted', { nodeId: 'fetch', attempt: 1 }],
        [
          1_250,
          'NodeFailed',
          {
            nodeId: 'fetch',
            attempt: 1,
            final: true,
            error: { code: 'HTTP_500', message: 'upstream said no', retryable: false },
          },
        ],
        [
          1_250,
          'RunFailed',
          {
            nodeId: 'fetch',
            error: { code: 'HTTP_500', message: 'upstream said no', retryable: false },
          },
        ],
      ],
      TRACEPARENT,
    );
    const wf = waterfallOf(events, { now: 5_000 })!;
    expect(shape(wf)).toEqual(['run wf@1 failed 0+250', '  fetch #1 failed 0+250']);
    expect(row(wf, 'fetch #1')).toMatchObject({
      errorCode: 'HTTP_500',
      outcome: 'final',
      queuedMs: 10,
      detail: 'HTTP_500: upstream said no',
      open: false,
    });
    expect(row(wf, 'run wf@1')).toMatchObject({ errorCode: 'HTTP_500', status: 'failed' });
    expect(wf.trace).toEqual({
      traceparent: TRACEPARENT,
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      sampled: true,
    });
  });

  it('measures a running run and its open rows to now', () => {
    const events = log('r', [
      [1_000, 'RunStarted', started()],
      [1_000, 'NodeScheduled', sched('a')],
      [1_100, 'NodeStarted', { nodeId: 'a', attempt: 1 }],
      [1_300, 'NodeSucceeded', { nodeId: 'a', attempt: 1, output: cas }],
      [1_300, 'NodeScheduled', sched('b')],
      [1_400, 'NodeStarted', { nodeId: 'b', attempt: 1 }],
      [1_400, 'NodeScheduled', sched('c')],
    ]);
    const wf = waterfallOf(events, { now: 2_000 })!;
    expect(wf.status).toBe('running');
    expect(wf.endedAt).toBeUndefined();
    expect(wf.durationMs).toBe(1_000);
    expect(shape(wf)).toEqual([
      'run wf@1 running 0+1000 open',
      '  a #1 succeeded 0+300',
      '  b #1 running 300+700 open',
      '  c #1 scheduled 400+600 open',
    ]);
    // A clock behind the log's last event measures to that event, never backwards.
    expect(waterfallOf(events, { now: 0 })!.durationMs).toBe(400);
  });

  it('nests an approval wait under its node’s attempt, from the request to the deciding decision', () => {
    const events = log('r', [
      [0, 'RunStarted', started('expense')],
      [0, 'NodeScheduled', sched('approve')],
      [
        10,
        'ApprovalRequested',
        { ticketId: 't1', nodeId: 'approve', approvers: ['managers'], quorum: 2 },
      ],
      [10, 'RunWaiting', { tickets: ['t1'] }],
      [500, 'ApprovalDecided', { ticketId: 't1', decision: 'approved', by: 'ann' }],
    ]);
    const asked = waterfallOf(events.slice(0, 4), { now: 400 })!;
    expect(asked.status).toBe('waiting');
    expect(shape(asked)[0]).toBe('run expense@1 waiting 0+400 open');
    const waiting = waterfallOf(events, { now: 900 })!;
    // One approval of two: the ticket is still open.
    expect(shape(waiting)).toEqual([
      'run expense@1 running 0+900 open',
      '  approve #1 waiting 0+900 open',
      '    approval t1 waiting 10+890 open',
    ]);
    expect(row(waiting, 'approval t1').detail).toBe('approved by ann');

    const decided = waterfallOf(
      [
        ...events,
        ...log('r', [
          [700, 'ApprovalDecided', { ticketId: 't1', decision: 'approved', by: 'bob' }],
          [
            700,
            'NodeSucceeded',
            { nodeId: 'approve', attempt: 1, output: cas, ports: ['approved'] },
          ],
          [700, 'RunCompleted', { output: cas }],
        ]).map((e, i) => ({ ...e, seq: events.length + i + 1 })),
      ],
      { now: 9_999 },
    )!;
    expect(shape(decided)).toEqual([
      'run expense@1 completed 0+700',
      '  approve #1 succeeded 0+700',
      '    approval t1 succeeded 10+690',
    ]);
    expect(row(decided, 'approval t1')).toMatchObject({
      kind: 'approval',
      outcome: 'approved',
      detail: 'approved by bob',
      selectNode: 'approve',
    });
  });

  it('shows a question and a timer as waits, and patches and budget events as markers', () => {
    const events = log('r', [
      [0, 'RunStarted', started()],
      [0, 'NodeScheduled', sched('ask')],
      [
        5,
        'QuestionAsked',
        {
          questionId: 'q1',
          nodeId: 'ask',
          attempt: 1,
          question: 'Which region?',
          askees: [],
        },
      ],
      [20, 'PatchProposed', { patchId: 'p1', patch: [] }],
      [20, 'PatchApplied', { patchId: 'p1', irHash: 'sha256:2', author: 'agent:plan' }],
      [60, 'QuestionAnswered', { questionId: 'q1', nodeId: 'ask', answer: 'eu', by: 'ann' }],
      [60, 'NodeSucceeded', { nodeId: 'ask', attempt: 1, output: cas }],
      [60, 'NodeScheduled', sched('pause')],
      [60, 'TimerScheduled', { timerId: 'tm', nodeId: 'pause', dueAt: 160, purpose: 'timer' }],
      [160, 'TimerFired', { timerId: 'tm' }],
      [160, 'NodeSucceeded', { nodeId: 'pause', attempt: 1, output: cas }],
      [170, 'BudgetExceeded', { limit: 'tokens', budget: 100, used: 150, onExceeded: 'fail' }],
      [170, 'RunFailed', { error: { code: 'BUDGET_EXCEEDED', message: 'over', retryable: false } }],
    ]);
    const wf = waterfallOf(events, { now: 1e9 })!;
    expect(shape(wf)).toEqual([
      'run wf@1 failed 0+170',
      '  ask #1 succeeded 0+60',
      '    question q1 succeeded 5+55',
      '  patch p1 proposed event 20+0',
      '  patch p1 applied succeeded 20+0',
      '  pause #1 succeeded 60+100',
      '    timer tm succeeded 60+100',
      '  budget exceeded (tokens) failed 170+0',
    ]);
    expect(row(wf, 'question q1')).toMatchObject({ outcome: 'answered', kind: 'question' });
    expect(row(wf, 'patch p1 applied')).toMatchObject({ instant: true, detail: 'by agent:plan' });
    expect(row(wf, 'patch p1 applied').selectNode).toBeUndefined();
    expect(row(wf, 'budget exceeded (tokens)').detail).toBe('150 over 100 (fail)');
  });

  it('nests a child run under its node, with the child’s own rows when its log is given', () => {
    const parent = log('p', [
      [0, 'RunStarted', started('parent')],
      [0, 'NodeScheduled', sched('greet')],
      [5, 'ChildRunStarted', { nodeId: 'greet', childRunId: 'c', workflow: 'child@1' }],
      [300, 'NodeSucceeded', { nodeId: 'greet', attempt: 1, output: cas }],
      [300, 'RunCompleted', { output: cas }],
    ]);
    const child = log('c', [
      [8, 'RunStarted', { ...started('child'), parent: { runId: 'p', nodeId: 'greet' } }],
      [8, 'NodeScheduled', sched('hello')],
      [10, 'NodeStarted', { nodeId: 'hello', attempt: 1 }],
      [290, 'NodeSucceeded', { nodeId: 'hello', attempt: 1, output: cas }],
      [295, 'RunCompleted', { output: cas }],
    ]);

    const alone = waterfallOf(parent, { now: 1e9 })!;
    expect(shape(alone)).toEqual([
      'run parent@1 completed 0+300',
      '  greet #1 succeeded 0+300',
      '    child run c (child@1) completed 5+295',
    ]);
    expect(alone.children).toEqual([
      { runId: 'c', parentRunId: 'p', nodeId: 'greet', read: false, ended: true },
    ]);

    const nested = waterfallOf(parent, { now: 1e9, childLogs: new Map([['c', child]]) })!;
    expect(shape(nested)).toEqual([
      'run parent@1 completed 0+300',
      '  greet #1 succeeded 0+300',
      '    child run c (child@1) completed 5+290',
      '      hello #1 succeeded 8+282',
    ]);
    const hello = row(nested, 'hello #1');
    expect(hello).toMatchObject({ runId: 'c', nodeId: 'hello', selectNode: 'greet' });
    expect(hello.parentId).toBe(row(nested, 'child run c (child@1)').id);
    expect(nested.children[0]!.read).toBe(true);
    expect(new Set(nested.rows.map((r) => r.id)).size).toBe(nested.rows.length);
  });

  it('keeps a child run open while its log says it runs', () => {
    const parent = log('p', [
      [0, 'RunStarted', started('parent')],
      [0, 'NodeScheduled', sched('greet')],
      [5, 'ChildRunStarted', { nodeId: 'greet', childRunId: 'c', workflow: 'child@1' }],
    ]);
    const child = log('c', [
      [8, 'RunStarted', started('child')],
      [8, 'NodeScheduled', sched('hello')],
    ]);
    const wf = waterfallOf(parent, { now: 100, childLogs: new Map([['c', child]]) })!;
    expect(shape(wf)).toEqual([
      'run parent@1 running 0+100 open',
      '  greet #1 running 0+100 open',
      '    child run c (child@1) running 5+95 open',
      '      hello #1 scheduled 8+92 open',
    ]);
    expect(wf.children).toEqual([
      { runId: 'c', parentRunId: 'p', nodeId: 'greet', read: true, ended: false },
    ]);
  });

  it('puts a map’s items under it, a retried item as two rows', () => {
    const events = log('r', [
      [0, 'RunStarted', started()],
      [0, 'NodeScheduled', sched('shout', 1, { items: 2 })],
      [0, 'NodeScheduled', sched('shout', 1, { iteration: 0 })],
      [0, 'NodeScheduled', sched('shout', 1, { iteration: 1 })],
      [10, 'NodeSucceeded', { nodeId: 'shout', iteration: 0, attempt: 1, output: cas }],
      [
        20,
        'NodeFailed',
        {
          nodeId: 'shout',
          iteration: 1,
          attempt: 1,
          final: false,
          error: { code: 'E', message: 'e', retryable: true },
        },
      ],
      [
        20,
        'NodeRetryScheduled',
        { nodeId: 'shout', iteration: 1, attempt: 2, delayMs: 10, dueAt: 30, timerId: 't' },
      ],
      [30, 'TimerFired', { timerId: 't' }],
      [30, 'NodeScheduled', sched('shout', 2, { iteration: 1 })],
      [40, 'NodeSucceeded', { nodeId: 'shout', iteration: 1, attempt: 2, output: cas }],
      [40, 'NodeSucceeded', { nodeId: 'shout', attempt: 1, output: cas, ports: ['success'] }],
      [40, 'NodeSkipped', { nodeId: 'after', reason: 'no incoming edge was taken' }],
      [40, 'RunCompleted', { output: cas }],
    ]);
    const wf = waterfallOf(events, { now: 1e9 })!;
    expect(shape(wf)).toEqual([
      'run wf@1 completed 0+40',
      '  shout (map of 2) succeeded 0+40',
      '    shout[0] #1 succeeded 0+10',
      '    shout[1] #1 failed 0+20',
      '    shout[1] backoff before #2 succeeded 20+10',
      '    shout[1] #2 succeeded 30+10',
      '  after skipped skipped 40+0',
    ]);
    expect(row(wf, 'shout[1] #2')).toMatchObject({ kind: 'item', iteration: 1, attempt: 2 });
  });

  it('ends what is still open when the run is cancelled', () => {
    const events = log('r', [
      [0, 'RunStarted', started()],
      [0, 'NodeScheduled', sched('gate')],
      [0, 'ApprovalRequested', { ticketId: 't', nodeId: 'gate', approvers: [], quorum: 1 }],
      [50, 'RunCancelled', { by: 'ann', reason: 'not needed' }],
    ]);
    const wf = waterfallOf(events, { now: 1e9 })!;
    expect(shape(wf)).toEqual([
      'run wf@1 cancelled 0+50',
      '  gate #1 cancelled 0+50',
      '    approval t cancelled 0+50',
    ]);
    expect(row(wf, 'run wf@1').detail).toBe('by ann: not needed');
  });

  it('folds a growing log from where it was, to the same rows as the whole log', () => {
    const golden = JSON.parse(
      readFileSync(
        fileURLToPath(new URL('../../core/golden/fanout.json', import.meta.url)),
        'utf8',
      ),
    ) as { events: AnyRunEvent[] };
    const folder = new WaterfallFolder();
    let seen: AnyRunEvent[] = [];
    for (const e of golden.events) {
      seen = [...seen, e];
      folder.of(seen, { now: 2e6 });
    }
    expect(folder.of(seen, { now: 2e6 })).toEqual(waterfallOf(golden.events, { now: 2e6 }));
    expect(waterfallOf([], { now: 0 })).toBeUndefined();
  });
});

describe('parseTraceparent', () => {
  it('reads a W3C traceparent and refuses what is not one', () => {
    expect(parseTraceparent(TRACEPARENT)?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(
      parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')?.sampled,
    ).toBe(false);
    for (const bad of [
      undefined,
      '',
      '00-abc-01',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    ]) {
      expect(parseTraceparent(bad)).toBeUndefined();
    }
  });
});
