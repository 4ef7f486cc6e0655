import { describe, expect, it } from 'vitest';
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
