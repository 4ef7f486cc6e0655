import { describe, expect, it } from 'vitest';
import type { AnyRunEvent } from '@aob/core';
import { RunFolder, nodeDurations, runFacts } from './durations.js';

/** A log as the engine writes it: seq from 1, one `at` per event, 10 ms apart. */
function log(events: [string, Record<string, unknown>][]): AnyRunEvent[] {
  return events.map(
    ([type, data], i) =>
      ({ runId: 'run_1', seq: i + 1, at: 1_000 + i * 10, type, data }) as unknown as AnyRunEvent,
  );
}

// A fetch, a map over three items (item 1 fails once, then succeeds; item 2 fails for good),
// a subworkflow, an approval still open.
const run = log([
  ['RunStarted', {}],
  ['NodeScheduled', { nodeId: 'fetch', attempt: 1 }],
  ['NodeStarted', { nodeId: 'fetch', attempt: 1 }],
  ['NodeSucceeded', { nodeId: 'fetch', attempt: 1 }],
  ['NodeScheduled', { nodeId: 'each', attempt: 1, items: 3 }],
  ...[0, 1, 2].flatMap((i): [string, Record<string, unknown>][] => [
    ['NodeScheduled', { nodeId: 'each', iteration: i, attempt: 1 }],
    ['NodeStarted', { nodeId: 'each', iteration: i, attempt: 1 }],
  ]),
  ['NodeSucceeded', { nodeId: 'each', iteration: 0, attempt: 1 }],
  ['NodeFailed', { nodeId: 'each', iteration: 1, attempt: 1, final: false }],
  ['NodeStarted', { nodeId: 'each', iteration: 1, attempt: 2 }],
  ['NodeFailed', { nodeId: 'each', iteration: 2, attempt: 1, final: true }],
  ['NodeSucceeded', { nodeId: 'each', iteration: 1, attempt: 2 }],
  ['NodeScheduled', { nodeId: 'child', attempt: 1 }],
  ['ChildRunStarted', { nodeId: 'child', childRunId: 'run_2' }],
  ['ApprovalRequested', { nodeId: 'ok', ticketId: 't1', approvers: ['managers'], quorum: 1 }],
]);

describe('the facts the graph shows, folded from the log', () => {
  it('counts map items done, failed for good and running, and finds child runs', () => {
    const facts = runFacts(run);
    expect(facts.maps.get('each')).toEqual({ total: 3, done: 2, failed: 1, running: 0 });
    expect(facts.children.get('child')).toBe('run_2');
    // Half way: item 1 is on its second attempt, item 2 still running.
    const half = runFacts(run.slice(0, 14));
    expect(half.maps.get('each')).toEqual({ total: 3, done: 1, failed: 0, running: 2 });
  });

  it('gives a finished node its time from first start to end, and a waiting one its time so far', () => {
    const d = nodeDurations(runFacts(run), 5_000);
    expect(d.get('fetch')).toBe(10);
    expect(d.get('ok')).toBe(5_000 - run.at(-1)!.at);
    expect(d.has('child')).toBe(false);
  });

  it('folds a growing log batch by batch to the same facts as the whole log at once', () => {
    for (const cut of [[1], [3, 9], [5, 6, 7, 8, 15], [run.length - 1]]) {
      const folder = new RunFolder();
      let shown = folder.of([]);
      let grown: AnyRunEvent[] = [];
      for (const end of [...cut, run.length]) {
        grown = [...grown, ...run.slice(grown.length, end)];
        shown = folder.of(grown);
        expect(shown).toEqual(runFacts(grown));
      }
      expect(shown).toEqual(runFacts(run));
    }
  });

  it('folds a log that does not extend the last one from its start, and its snapshots stay put', () => {
    const folder = new RunFolder();
    const first = folder.of(run);
    const before = structuredClone(first);
    const other = log([
      ['RunStarted', {}],
      ['NodeScheduled', { nodeId: 'each', attempt: 1, items: 5 }],
    ]);
    expect(folder.of(other)).toEqual(runFacts(other));
    expect(first).toEqual(before);
    expect(folder.of(run.slice(0, 10))).toEqual(runFacts(run.slice(0, 10)));
  });
});

describe('the statuses the graph shows, folded from the log', () => {
  it('changes a node on the event that changes it, and shows in-flight nodes of a cancelled run as cancelled', () => {
    const cancelled = log([
      ['RunStarted', { workflow: { name: 'w', version: '1' }, inputs: {} }],
      ['NodeScheduled', { nodeId: 'a', attempt: 1 }],
      ['NodeStarted', { nodeId: 'a', attempt: 1 }],
      ['NodeSucceeded', { nodeId: 'a', attempt: 1 }],
      ['NodeScheduled', { nodeId: 'b', attempt: 1 }],
      ['RunCancelled', { reason: 'enough' }],
    ]);
    const folder = new RunFolder();
    const running = folder.of(cancelled.slice(0, 3));
    expect(running.status).toBe('running');
    expect(running.nodes.get('a')).toEqual({ status: 'running', attempts: 1 });
    expect(running.nodes.has('b')).toBe(false);
    const over = folder.of(cancelled);
    expect(over.status).toBe('cancelled');
    expect(over.nodes.get('a')).toEqual({ status: 'succeeded', attempts: 1 });
    expect(over.nodes.get('b')).toEqual({ status: 'cancelled', attempts: 1 });
    // A snapshot stays as it was when later events arrive.
    expect(running.nodes.get('a')!.status).toBe('running');
    expect(new RunFolder().of([]).status).toBeUndefined();
  });
});
