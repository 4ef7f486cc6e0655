import { describe, expect, it } from 'vitest';
import type { AnyRunEvent } from '@aob/core';
import { BarFolder, barsOf, compressedScale } from './Timeline.js';
import type { Bar } from './Timeline.js';

const bar = (node: string, from: number, to: number): Bar => ({
  node,
  kind: 'attempt',
  from,
  to,
  label: node,
});

describe('the timeline axis', () => {
  it('shrinks an idle gap over 5 s to 5 s and keeps busy time as it is', () => {
    // a: 0–2 s, b: 1–3 s (overlapping), then a minute idle, then c: 63–64 s.
    const s = compressedScale([
      bar('a', 0, 2_000),
      bar('b', 1_000, 3_000),
      bar('c', 63_000, 64_000),
    ]);
    expect(s.start).toBe(0);
    expect(s.x(2_000)).toBe(2_000);
    expect(s.x(3_000)).toBe(3_000);
    expect(s.x(63_000)).toBe(8_000);
    expect(s.width).toBe(9_000);
  });

  it('maps positions back to times, in order', () => {
    const s = compressedScale([
      bar('a', 100, 400),
      bar('b', 20_000, 20_500),
      bar('c', 20_400, 21_000),
    ]);
    let last = -Infinity;
    for (let t = 100; t <= 21_000; t += 250) {
      const x = s.x(t);
      expect(x).toBeGreaterThanOrEqual(last);
      last = x;
      // Inside an idle gap many times share little room; busy time maps back exactly.
      if (t <= 400 || t >= 20_000) expect(s.t(x)).toBeCloseTo(t, 6);
    }
    expect(s.x(0)).toBe(0);
    expect(s.x(99_999)).toBe(s.width);
  });
});

describe('the timeline bars', () => {
  const events = [
    ['NodeStarted', { nodeId: 'a', attempt: 1 }],
    ['NodeFailed', { nodeId: 'a', attempt: 1 }],
    ['NodeStarted', { nodeId: 'a', attempt: 2 }],
    ['NodeSucceeded', { nodeId: 'a', attempt: 2 }],
    ['NodeScheduled', { nodeId: 'm', attempt: 1, items: 2 }],
    ['NodeStarted', { nodeId: 'm', iteration: 0, attempt: 1 }],
    ['NodeSucceeded', { nodeId: 'm', iteration: 0, attempt: 1 }],
    ['ApprovalRequested', { nodeId: 'ok', ticketId: 't' }],
  ].map(
    ([type, data], i) =>
      ({ runId: 'r', seq: i + 1, at: i * 100, type, data }) as unknown as AnyRunEvent,
  );

  it('draws attempts, failures, a map by its span and an open wait up to now', () => {
    expect(barsOf(events, 1_000).map((b) => [b.node, b.kind, b.from, b.to])).toEqual([
      ['a', 'failed', 0, 100],
      ['a', 'attempt', 200, 300],
      ['m', 'attempt', 400, 1_000],
      ['ok', 'wait', 700, 1_000],
    ]);
  });

  it('folds a growing log batch by batch to the same bars as the whole log', () => {
    const folder = new BarFolder();
    for (let n = 0; n <= events.length; n++) {
      expect(folder.of(events.slice(0, n), 5_000)).toEqual(barsOf(events.slice(0, n), 5_000));
    }
    expect(folder.of(events.slice(0, 2), 5_000)).toEqual(barsOf(events.slice(0, 2), 5_000));
  });
});
