import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Rereader } from './feed.js';

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
