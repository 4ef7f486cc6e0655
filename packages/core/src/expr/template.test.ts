import { describe, expect, it } from 'vitest';
import type { ExprContext } from '../ir/types.js';
import { compileTemplate, forEachExpression } from './template.js';

const ctx = (over: Partial<ExprContext> = {}): ExprContext => ({ inputs: {}, nodes: {}, ...over });

describe('compileTemplate', () => {
  it('treats strings without {% %} as literals and returns static values as they are', () => {
    const source = { url: 'https://example.com/{% not an expression', tags: ['a', 'b'], n: 1 };
    const t = compileTemplate(source);
    expect(t.isStatic).toBe(true);
    expect(t.reads).toEqual([]);
    expect(t.evaluate(ctx())).toBe(source);
  });

  it('evaluates nested expressions and keeps static subtrees by reference', () => {
    const headers = { accept: 'application/json' };
    const t = compileTemplate({
      method: 'POST',
      headers,
      body: { id: '{% inputs.id %}', list: ['{% nodes.a.output.x %}', 'lit', '{% inputs.none %}'] },
      skip: '{% inputs.none %}',
    });
    expect(t.isStatic).toBe(false);
    expect(t.reads).toEqual(['a']);
    const out = t.evaluate(ctx({ inputs: { id: 7 }, nodes: { a: { output: { x: 'y' } } } })) as {
      headers: unknown;
    };
    expect(out).toStrictEqual({
      method: 'POST',
      headers: { accept: 'application/json' },
      body: { id: 7, list: ['y', 'lit', null] },
    });
    expect(out.headers).toBe(headers);
  });

  it('evaluates a single expression string to any JSON value', () => {
    const t = compileTemplate('{% { "sum": $sum(inputs.xs), "first": inputs.xs[0] } %}');
    expect(t.evaluate(ctx({ inputs: { xs: [1, 2, 3] } }))).toStrictEqual({ sum: 6, first: 1 });
  });

  it('sees item and index inside a map body', () => {
    const t = compileTemplate({ label: "{% item.name & '#' & index %}", all: '{% inputs.n %}' });
    expect(t.evaluate(ctx({ inputs: { n: 2 }, item: { name: 'b' }, index: 1 }))).toStrictEqual({
      label: 'b#1',
      all: 2,
    });
  });

  it('refuses $now at evaluation', () => {
    const t = compileTemplate({ at: '{% $now() %}' });
    expect(() => t.evaluate(ctx())).toThrow(/\$now is not allowed/);
  });

  it('keeps an own __proto__ key as data', () => {
    const source = JSON.parse('{"__proto__": {"x": "{% inputs.a %}"}}') as unknown;
    const out = compileTemplate(source).evaluate(ctx({ inputs: { a: 1 } })) as object;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toStrictEqual({ x: 1 });
  });
});

describe('forEachExpression', () => {
  it('yields every expression with its JSON pointer', () => {
    const seen: [string, string][] = [];
    forEachExpression(
      { a: ['{% 1 %}', 'lit'], 'b/c': { '~d': '{% 2 %}' } },
      '/nodes/0/with',
      (s, p) => seen.push([s, p]),
    );
    expect(seen).toEqual([
      ['{% 1 %}', '/nodes/0/with/a/0'],
      ['{% 2 %}', '/nodes/0/with/b~1c/~0d'],
    ]);
  });
});
