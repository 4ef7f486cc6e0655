import { afterEach, describe, expect, it, vi } from 'vitest';
import { pollUntil } from './poll.js';

/** A `changes` source the test pokes by hand; `subscribed` tells whether a wait listens. */
function changeSource<T>() {
  let poke: ((found?: T) => void) | undefined;
  return {
    changes: (p: (found?: T) => void) => {
      poke = p;
      return () => (poke = undefined);
    },
    poke: (found?: T) => poke?.(found),
    get subscribed() {
      return poke !== undefined;
    },
  };
}

describe('pollUntil', () => {
  afterEach(() => vi.useRealTimers());

  it('looks at once, then after each pause, until it finds a value', async () => {
    let looks = 0;
    const found = await pollUntil(async () => (++looks === 3 ? 'there' : undefined), {
      everyMs: 1,
    });
    expect(found).toBe('there');
    expect(looks).toBe(3);
  });

  it('ends with a heard value without looking again', async () => {
    const source = changeSource<string>();
    let looks = 0;
    const waiting = pollUntil(
      async () => {
        looks++;
        return undefined;
      },
      { everyMs: 60_000, changes: source.changes },
    );
    await new Promise((resolve) => setImmediate(resolve));
    source.poke('heard');
    expect(await waiting).toBe('heard');
    expect(looks).toBe(1);
    expect(source.subscribed).toBe(false);
  });

  it('with lookFirst false, waits for a poke before its first look', async () => {
    const source = changeSource<string>();
    const looks: number[] = [];
    const waiting = pollUntil(
      async () => {
        looks.push(Date.now());
        return 'looked';
      },
      { everyMs: 60_000, changes: source.changes, lookFirst: false },
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(looks).toEqual([]);
    source.poke(); // something changed, nothing said: look
    expect(await waiting).toBe('looked');
    expect(looks).toHaveLength(1);
  });

  it('resolves undefined once aborted, and stops listening', async () => {
    const source = changeSource<string>();
    const stop = new AbortController();
    const waiting = pollUntil(async () => undefined, {
      everyMs: 60_000,
      changes: source.changes,
      signal: stop.signal,
    });
    await new Promise((resolve) => setImmediate(resolve));
    stop.abort();
    expect(await waiting).toBeUndefined();
    expect(source.subscribed).toBe(false);
  });

  it('doubles its pause from firstPauseMs up to everyMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let looks = 0;
    const waiting = pollUntil(async () => (++looks === 6 ? 'found' : undefined), {
      firstPauseMs: 4,
      everyMs: 16,
    });
    const looksAfter = async (ms: number) => {
      await vi.advanceTimersByTimeAsync(ms);
      return looks;
    };
    // Looks at 0, 4, 12 (a pause of 8), 28 and 44 (pauses of 16, the most), 60.
    expect(await looksAfter(0)).toBe(1);
    expect(await looksAfter(3)).toBe(1);
    expect(await looksAfter(1)).toBe(2);
    expect(await looksAfter(7)).toBe(2);
    expect(await looksAfter(1)).toBe(3);
    expect(await looksAfter(15)).toBe(3);
    expect(await looksAfter(1)).toBe(4);
    expect(await looksAfter(15)).toBe(4);
    expect(await looksAfter(1)).toBe(5);
    expect(await looksAfter(16)).toBe(6);
    expect(await waiting).toBe('found');
  });

  it('resolves undefined after its timeout, with a last look', async () => {
    let looks = 0;
    const found = await pollUntil(
      async () => {
        looks++;
        return undefined;
      },
      { everyMs: 5, timeoutMs: 30 },
    );
    expect(found).toBeUndefined();
    expect(looks).toBeGreaterThan(1);
  });
});
