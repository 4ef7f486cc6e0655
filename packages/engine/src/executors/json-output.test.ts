import { describe, expect, it } from 'vitest';
import { toJsonOutput } from './json-output.js';

describe('toJsonOutput', () => {
  it('keeps JSON values and follows JSON.stringify where it is lossless', () => {
    const shared = { k: 1 };
    const value = {
      s: 'x',
      n: 1.5,
      b: false,
      nil: null,
      gone: undefined,
      arr: [1, undefined, 'a'],
      at: new Date('2024-01-02T03:04:05.000Z'),
      twice: [shared, shared],
    };
    expect(toJsonOutput(value)).toEqual({
      s: 'x',
      n: 1.5,
      b: false,
      nil: null,
      arr: [1, null, 'a'],
      at: '2024-01-02T03:04:05.000Z',
      twice: [{ k: 1 }, { k: 1 }],
    });
    expect(toJsonOutput(undefined)).toBeNull();
  });

  it('keeps a "__proto__" key as data', () => {
    const out = toJsonOutput(JSON.parse('{"__proto__": {"polluted": true}}')) as object;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it.each([
    ['function', { a: { f: () => 1 } }, 'output.a.f is a function'],
    ['bigint', [1n], 'output[0] is a bigint'],
    ['symbol', { s: Symbol('x') }, 'output.s is a symbol'],
    ['NaN', { n: NaN }, 'output.n is NaN'],
    ['Infinity', Infinity, 'output is Infinity'],
    ['promise', { p: Promise.resolve(1) }, 'output.p is a Promise'],
    ['map', { m: new Map() }, 'output.m is a Map'],
  ])('refuses a %s, naming where', (_what, value, message) => {
    expect(() => toJsonOutput(value)).toThrow(expect.objectContaining({ code: 'BAD_OUTPUT' }));
    expect(() => toJsonOutput(value)).toThrow(message);
  });

  it('refuses cycles', () => {
    const a: unknown[] = [];
    a.push({ back: a });
    expect(() => toJsonOutput(a)).toThrow('output[0].back is a cyclic reference');
  });
});
