import { describe, expect, it } from 'vitest';
import { VALUE_LIMIT, truncate } from './render-node.js';

describe('truncate', () => {
  it('keeps a short value whole', () => {
    expect(truncate('a\nb')).toEqual({ shown: ['a', 'b'], omitted: 0 });
  });

  it('cuts at the line limit and counts what it left out', () => {
    const lines = Array.from({ length: VALUE_LIMIT.lines + 10 }, (_, i) => `l${i}`);
    const text = lines.join('\n');
    const { shown, omitted } = truncate(text);
    expect(shown).toEqual(lines.slice(0, VALUE_LIMIT.lines));
    expect(shown.join('\n').length + omitted).toBe(text.length);
  });

  it('cuts one very long line at the character limit', () => {
    const text = 'x'.repeat(VALUE_LIMIT.chars * 3);
    expect(truncate(text)).toEqual({
      shown: ['x'.repeat(VALUE_LIMIT.chars)],
      omitted: VALUE_LIMIT.chars * 2,
    });
  });
});
