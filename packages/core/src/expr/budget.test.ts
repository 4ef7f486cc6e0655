// Hostile expressions (issue: one workflow froze a whole server): each must fail by name, within
// about the time limit, without building the huge value it asks for. Before the budget, the
// first of these never returned.
import { afterEach, describe, expect, it } from 'vitest';
import { AobError } from '../errors.js';
import { serverLimits, setServerLimits } from '../limits.js';
import { compileExpression } from './expression.js';

const ctx = { inputs: {}, nodes: {} };

function failure(source: string): { error: AobError; ms: number } {
  const started = performance.now();
  try {
    compileExpression(source).evaluate(ctx);
  } catch (err) {
    return { error: err as AobError, ms: performance.now() - started };
  }
  throw new Error(`${source} evaluated without an error`);
}

afterEach(() => {
  setServerLimits({});
});

describe('expressions under limits', () => {
  it('stops an endless tail-recursive lambda by time', () => {
    const { error, ms } = failure('{% ($f := function($n){ $f($n+1) }; $f(0)) %}');
    expect(error).toBeInstanceOf(AobError);
    expect(error).toMatchObject({ code: 'EXPRESSION_LIMIT', retryable: false });
    expect(error.message).toMatch(/ran longer than 100 ms/);
    expect(error.details).toMatchObject({ limit: 'time' });
    // The limit plus one check period, with room for a noisy machine.
    expect(ms).toBeLessThan(serverLimits().expressionTimeMs + 2_000);
  });

  it('stops deep recursion by depth, before the JS stack overflows', () => {
    setServerLimits({ expressionTimeMs: 60_000 });
    const { error } = failure(
      '{% ($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000)) %}',
    );
    expect(error).toMatchObject({ code: 'EXPRESSION_LIMIT', details: { limit: 'depth' } });
  });

  it('stops a long $reduce by time', () => {
    const { error } = failure('{% $reduce([1..1000000], function($a, $b){ $a + $b }) %}');
    expect(error).toMatchObject({ code: 'EXPRESSION_LIMIT', details: { limit: 'time' } });
  });

  it('refuses a range past the item limit before building it', () => {
    const { error, ms } = failure('{% ($n := 10000000; $sum([1..$n])) %}');
    expect(error).toMatchObject({ code: 'EXPRESSION_LIMIT', details: { limit: 'items' } });
    expect(error.message).toMatch(/a range of 10000000 items/);
    expect(ms).toBeLessThan(100);
  });

  it('refuses $pad past the string limit before building the string', () => {
    const before = process.memoryUsage().heapUsed;
    const { error } = failure('{% $pad("x", 200000000) %}');
    expect(error).toMatchObject({ code: 'EXPRESSION_LIMIT', details: { limit: 'string' } });
    expect(error.message).toMatch(/\$pad to width 200000000/);
    // 2×10⁸ characters would be 400 MB; nothing near that was allocated.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(50 * 1024 * 1024);
    expect(failure('{% $pad("x", 2000000, "0123456789") %}').error.code).toBe('EXPRESSION_LIMIT');
  });

  it('refuses strings and sequences that grow past their limits', () => {
    setServerLimits({ expressionStringLength: 1_000, expressionItems: 1_000 });
    expect(
      failure('{% $reduce([1..20], function($a, $b){ $a & $a }, "ab") %}').error,
    ).toMatchObject({
      code: 'EXPRESSION_LIMIT',
      details: { limit: 'string' },
    });
    expect(failure('{% [1..5000] %}').error).toMatchObject({ details: { limit: 'items' } });
    expect(failure('{% $join([1..900].$string($), "----") %}').error.message).toMatch(/\$join/);
    expect(failure('{% $replace("aaaaaaaaaa", "a", $pad("", 500, "b")) %}').error.message).toMatch(
      /\$replace would insert/,
    );
  });

  it('leaves ordinary expressions their meaning', () => {
    setServerLimits({ expressionStringLength: 1_000 });
    const e = (s: string) => compileExpression(s).evaluate({ inputs: { s: 'a-b-c' }, nodes: {} });
    expect(e('{% $pad("7", -3, "0") %}')).toBe('007');
    expect(e('{% $join(["a", "b"], ",") %}')).toBe('a,b');
    expect(e('{% $replace(inputs.s, "-", "+") %}')).toBe('a+b+c');
    expect(e('{% $replace(inputs.s, /[a-c]/, function($m){ $uppercase($m.match) }) %}')).toBe(
      'A-B-C',
    );
    expect(e('{% $replace("aaaa", "a", $pad("", 200, "b"), 2) %}')).toHaveLength(402);
    expect(e('{% $sum([1..1000]) %}')).toBe(500500);
  });

  it('keeps errors that are not limits as they were', () => {
    expect(failure('{% $now() %}').error.code).toBe('EXPRESSION_ERROR');
    expect(failure('{% $number("x") %}').error.code).toBe('EXPRESSION_ERROR');
  });
});
