import { describe, expect, it } from 'vitest';
import type { AobError } from '../errors.js';
import type { ExprContext } from '../ir/types.js';
import { compileExpression, expressionBody, isExpression, parseExpression } from './expression.js';
import { toJsonValue, truthy } from './json.js';

const ctx = (over: Partial<ExprContext> = {}): ExprContext => ({ inputs: {}, nodes: {}, ...over });

function thrown(fn: () => unknown): AobError {
  try {
    fn();
  } catch (err) {
    return err as AobError;
  }
  throw new Error('expected a throw');
}

describe('isExpression', () => {
  it('is an expression only when the whole string (trimmed) is {% … %}', () => {
    expect(isExpression('{% inputs.a %}')).toBe(true);
    expect(isExpression('  {%inputs.a%}\n')).toBe(true);
    expect(isExpression('hello {% inputs.a %}')).toBe(false);
    expect(isExpression('{% inputs.a %} tail')).toBe(false);
    expect(isExpression('inputs.a')).toBe(false);
    expect(isExpression(42)).toBe(false);
    expect(expressionBody('{% 1 + 2 %}')).toBe(' 1 + 2 ');
    expect(expressionBody('plain')).toBeUndefined();
  });
});

describe('compileExpression', () => {
  it('evaluates synchronously against inputs and node outputs', () => {
    const e = compileExpression("{% 'https://x/t/' & inputs.id & '/' & nodes.fetch.output.n %}");
    expect(e.evaluate(ctx({ inputs: { id: 'T1' }, nodes: { fetch: { output: { n: 2 } } } }))).toBe(
      'https://x/t/T1/2',
    );
  });

  it('returns plain JSON: sequences become arrays, no match is undefined', () => {
    const e = compileExpression('{% inputs.items.x %}');
    const out = e.evaluate(ctx({ inputs: { items: [{ x: 1 }, { x: 2 }] } }));
    expect(Array.isArray(out)).toBe(true);
    expect(Object.keys(out as object)).toEqual(['0', '1']);
    expect(out).toStrictEqual([1, 2]);
    expect(compileExpression('{% inputs.missing %}').evaluate(ctx())).toBeUndefined();
    expect(compileExpression('{% function($x){$x} %}').evaluate(ctx())).toBeUndefined();
  });

  it('lists the nodes it reads, in every notation, once each', () => {
    const e = compileExpression(
      '{% nodes.a.output & $.nodes.b.output & $$.nodes.`c-d`.output & $map(inputs.xs, function($v){ nodes.a.output }) %}',
    );
    expect(e.reads).toEqual(['a', 'b', 'c-d']);
    expect(compileExpression('{% inputs.nodes %}').reads).toEqual([]);
    expect(compileExpression('{% $keys(nodes) %}').reads).toEqual([]);
    expect(compileExpression('{% $keys(nodes) %}').readsNodesDynamically).toBe(true);
    expect(compileExpression('{% nodes.*.output %}').readsNodesDynamically).toBe(true);
    expect(e.readsNodesDynamically).toBe(false);
  });

  it('reports forbidden functions statically and refuses them when evaluated', () => {
    const e = compileExpression('{% $now() %}');
    expect(e.forbidden).toEqual([{ name: 'now', position: expect.any(Number) }]);
    const err = thrown(() => e.evaluate(ctx()));
    expect(err.code).toBe('EXPRESSION_ERROR');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('$now');
    for (const src of ['{% $millis() %}', '{% $random() %}', '{% $shuffle([1,2]) %}']) {
      expect(thrown(() => compileExpression(src).evaluate(ctx())).code).toBe('EXPRESSION_ERROR');
    }
    // $eval would hide a clock read from the static check; it is refused too.
    expect(thrown(() => compileExpression('{% $eval("1") %}').evaluate(ctx())).code).toBe(
      'EXPRESSION_ERROR',
    );
  });

  it('wraps evaluation errors as EXPRESSION_ERROR naming the expression', () => {
    const err = thrown(() => compileExpression('{% 1 + "a" %}').evaluate(ctx()));
    expect(err.code).toBe('EXPRESSION_ERROR');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('{% 1 + "a" %}');
    expect(err.details).toMatchObject({ expression: '{% 1 + "a" %}', jsonataCode: 'T2002' });
  });

  it('reports syntax errors with their position, without throwing from parseExpression', () => {
    const parsed = parseExpression('{% nodes.a.( %}');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.message).toMatch(/^syntax error at character \d+/);
      expect(parsed.error.position).toBeGreaterThan(0);
    }
    expect(parseExpression('{%   %}')).toEqual({
      ok: false,
      error: { message: 'empty expression', position: 0 },
    });
    expect(thrown(() => compileExpression('{% ( %}')).code).toBe('BAD_EXPRESSION');
  });

  it('caches compiled expressions by source', () => {
    expect(compileExpression('{% inputs.cached %}')).toBe(compileExpression('{% inputs.cached %}'));
  });
});

describe('toJsonValue', () => {
  it('keeps plain values as they are, without copying', () => {
    const obj = { a: [1, { b: 'x' }], c: null };
    expect(toJsonValue(obj)).toBe(obj);
    expect(toJsonValue('s')).toBe('s');
  });

  it('drops undefined members and non-JSON values like JSON.stringify does', () => {
    expect(toJsonValue({ a: undefined, b: 1 })).toStrictEqual({ b: 1 });
    expect(toJsonValue([1, undefined, () => 1])).toStrictEqual([1, null, null]);
    expect(toJsonValue(Number.NaN)).toBeNull();
  });
});

describe('truthy', () => {
  it('casts like $boolean', () => {
    expect([undefined, null, false, 0, '', [], {}, [0, '']].map(truthy)).toEqual(
      new Array(8).fill(false),
    );
    expect([true, 1, 'a', [0, 1], { a: 1 }].map(truthy)).toEqual(new Array(5).fill(true));
  });
});
