import { describe, expect, it } from 'vitest';
import { buildInputs, parseInputValue } from './inputs.js';

describe('parseInputValue', () => {
  it('parses JSON values', () => {
    expect(parseInputValue('42')).toBe(42);
    expect(parseInputValue('true')).toBe(true);
    expect(parseInputValue('null')).toBeNull();
    expect(parseInputValue('"quoted"')).toBe('quoted');
    expect(parseInputValue('{"a":[1,2]}')).toEqual({ a: [1, 2] });
  });

  it('keeps anything else as the raw string', () => {
    expect(parseInputValue('T-1')).toBe('T-1');
    expect(parseInputValue('007')).toBe('007');
    expect(parseInputValue('')).toBe('');
    expect(parseInputValue('{broken')).toBe('{broken');
    expect(parseInputValue('a=b')).toBe('a=b');
  });
});

describe('buildInputs', () => {
  it('defaults to an empty object', () => {
    expect(buildInputs(undefined, [])).toEqual({ inputs: {}, problems: [] });
  });

  it('reads the file alone, whatever JSON it holds', () => {
    expect(buildInputs({ path: 'i.json', text: '{"a":1}' }, []).inputs).toEqual({ a: 1 });
    expect(buildInputs({ path: 'i.json', text: '[1,2]' }, []).inputs).toEqual([1, 2]);
  });

  it('merges the pairs over the file, the flags winning', () => {
    const r = buildInputs({ path: 'i.json', text: '{"a":1,"b":"x"}' }, [
      'b=2',
      'c=hello',
      'd={"e":true}',
    ]);
    expect(r.problems).toEqual([]);
    expect(r.inputs).toEqual({ a: 1, b: 2, c: 'hello', d: { e: true } });
  });

  it('splits on the first = only, so values may contain =', () => {
    expect(buildInputs(undefined, ['q=a=b']).inputs).toEqual({ q: 'a=b' });
  });

  it('lets a later pair win over an earlier one', () => {
    expect(buildInputs(undefined, ['a=1', 'a=2']).inputs).toEqual({ a: 2 });
  });

  it('reports every problem at once', () => {
    const r = buildInputs({ path: 'i.json', text: '{nope' }, ['novalue', '=1', '__proto__=1']);
    expect(r.inputs).toBeUndefined();
    expect(r.problems.map((p) => [p.code, p.path])).toEqual([
      ['JSON', '--inputs'],
      ['BAD_FLAG', '--input[0]'],
      ['BAD_FLAG', '--input[1]'],
      ['BAD_FLAG', '--input[2]'],
    ]);
    expect(r.problems[1]?.message).toContain('"novalue"');
  });

  it('refuses to merge pairs into a file that is not an object', () => {
    const r = buildInputs({ path: 'i.json', text: '[1]' }, ['a=1']);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ code: 'BAD_INPUT', path: '--inputs' });
    expect(r.problems[0]?.message).toContain('an array');
  });

  it('does not let a key pollute the prototype', () => {
    const r = buildInputs(undefined, ['constructor=1']);
    expect(r.problems).toHaveLength(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
