import { describe, expect, it } from 'vitest';
import { answerFromText } from './answer-text.js';

describe('answerFromText', () => {
  it('reads a number or boolean choice from its JSON, any other text as the string', () => {
    expect(answerFromText('4', { choices: [2, 4] })).toBe(4);
    expect(answerFromText('true', { choices: [true, false] })).toBe(true);
    expect(answerFromText('5', { choices: [2, 4] })).toBe('5');
    expect(answerFromText('yes', { choices: ['yes', 'no'] })).toBe('yes');
  });

  it('with a schema, the JSON when it parses, else the text', () => {
    expect(answerFromText('{"seats": 4}', { schema: {} })).toEqual({ seats: 4 });
    expect(answerFromText('7pm', { schema: {} })).toBe('7pm');
  });

  it('without choices or schema, always the text', () => {
    expect(answerFromText('42', {})).toBe('42');
  });
});
