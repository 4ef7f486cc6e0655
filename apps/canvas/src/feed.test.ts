import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnyRunEvent } from '@aob/core';
import { Rereader, readRunLog } from './feed.js';

/** A read that takes `ms` and records when it ran and how many ran at once. */
function reads(ms: number) {
  const log = { starts: [] as number[], inFlight: 0, most: 0 };
  const read = async () => {
    log.starts.push(Date.now());
    log.most = Math.max(log.most, ++log.inFlight);
    await new Promise((r) => setTimeout(r, ms));
    log.inFlight--;
  };
  return { log, read };
}

describe('reading a summary again after live events', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads at once after a quiet spell', async () => {
    const { log, read } = reads(10);
    const r = new Rereader(read, (e) => {
      throw e;
    });
    r.soon(false);
    expect(log.starts).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1_000);
    r.soon(false);
    expect(log.starts).toEqual([0, 1_000]);
  });

  it('never reads twice at once, and reads once more after a burst', async () => {
    const { log, read } = reads(100);
    const r = new Rereader(read, (e) => {
      throw e;
    });
    // A batch per frame for 2 s: 120 batches, none urgent.
    for (let i = 0; i < 120; i++) {
      r.soon(false);
      await vi.advanceTimersByTimeAsync(1_000 / 60);
    }
    await vi.advanceTimersByTimeAsync(2_000);
    expect(log.most).toBe(1);
    // Reads start at least max(250 ms, twice a read's 100 ms) apart: 250 ms.
    const gaps = log.starts.slice(1).map((t, i) => t - log.starts[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(250);
    // Every batch was followed by a read: the last read began after the last batch.
    expect(log.starts.at(-1)!).toBeGreaterThanOrEqual(119 * (1_000 / 60));
    expect(log.starts.length).toBeLessThanOrEqual(10);
  });

  it('spaces reads by twice their time when reads are slow', async () => {
    const { log, read } = reads(400);
    const r = new Rereader(read, () => {});
    for (let i = 0; i < 200; i++) {
      r.soon(false);
      await vi.advanceTimersByTimeAsync(10);
    }
    const gaps = log.starts.slice(2).map((t, i) => t - log.starts[i + 1]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(800);
  });

  it('reads right after the read under way when an urgent event comes during the gap', async () => {
    const { log, read } = reads(50);
    const r = new Rereader(read, () => {});
    r.soon(false);
    await vi.advanceTimersByTimeAsync(60); // the first read is done; a burst goes on
    r.soon(false); // waits for the gap: the next read at 250 ms
    await vi.advanceTimersByTimeAsync(40);
    r.soon(true); // the run ended: read now
    await vi.advanceTimersByTimeAsync(0);
    expect(log.starts).toEqual([0, 100]);
  });

  it('starts no read once closed, and reports a failed read', async () => {
    const failures: unknown[] = [];
    let n = 0;
    const r = new Rereader(
      async () => {
        n++;
        throw new Error('refused');
      },
      (e) => failures.push(e),
    );
    r.soon(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(failures).toHaveLength(1);
    r.soon(false);
    r.close();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(n).toBe(1);
  });
});

/** An API over a log that may grow while it is read: `grow(n)` appends n events. */
function api(length: number) {
  const log: AnyRunEvent[] = [];
  const grow = (n: number) => {
    for (let i = 0; i < n; i++) {
      log.push({ runId: 'r', seq: log.length + 1, type: 'NodeLog' } as unknown as AnyRunEvent);
    }
  };
  grow(length);
  const asked: number[] = [];
  let onRead = () => {};
  return {
    log,
    asked,
    grow,
    afterEachRead: (f: () => void) => (onRead = f),
    client: {
      runEvents: async (_: string, q: { fromSeq?: number; limit?: number } = {}) => {
        asked.push(q.fromSeq!);
        const rest = log.slice(q.fromSeq! - 1);
        const items = rest.slice(0, q.limit);
        onRead();
        return rest.length > q.limit! ? { items, nextCursor: 'more' } : { items };
      },
    },
  };
}

describe("reading a run's log", () => {
  it('reads every event once and in order, the pages after the first several at a time', async () => {
    for (const length of [1, 4_999, 5_000, 5_001, 20_010, 31_000]) {
      const a = api(length);
      let first: AnyRunEvent[] = [];
      const got = await readRunLog(a.client, 'r', (page) => (first = page));
      expect(got.map((e) => e.seq)).toEqual(a.log.map((e) => e.seq));
      expect(first).toHaveLength(Math.min(length, 5_000));
    }
    const a = api(20_010);
    await readRunLog(a.client, 'r', () => {});
    expect(a.asked).toEqual([1, 5_001, 10_001, 15_001, 20_001, 25_001, 30_001]);
  });

  it('keeps only events that follow on from each other when the log grows while it is read', async () => {
    const a = api(7_000);
    // Each read appends 2,000 events: the page from 10,001 sees events the page from 5,001 did
    // not reach, and must not be kept (the live feed starts after the last event kept).
    a.afterEachRead(() => a.grow(2_000));
    const got = await readRunLog(a.client, 'r', () => {});
    expect(got.map((e) => e.seq)).toEqual(got.map((_, i) => i + 1));
    expect(got.length).toBeLessThan(a.log.length);
  });
});
