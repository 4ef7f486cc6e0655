import { describe, expect, it } from 'vitest';
import type { AnyRunEvent } from '@aob/core';
import { answerFromText, openQuestions } from './chat-session.js';

const at = 1_700_000_000_000;
const irHash = `sha256:${'a'.repeat(64)}`;
const asked = (seq: number, questionId: string, extra: object = {}): AnyRunEvent => ({
  runId: 'r',
  seq,
  at,
  irHash,
  type: 'QuestionAsked',
  data: {
    questionId,
    nodeId: 'agent',
    attempt: 1,
    question: `q ${questionId}?`,
    askees: [],
    ...extra,
  },
});
const answered = (seq: number, questionId: string): AnyRunEvent => ({
  runId: 'r',
  seq,
  at,
  irHash,
  type: 'QuestionAnswered',
  data: { questionId, nodeId: 'agent', answer: 'x', by: 'ann' },
});

describe('openQuestions', () => {
  it('lists the questions asked and not answered, in the order asked', () => {
    const events = [
      asked(1, 'q1'),
      answered(2, 'q1'),
      asked(3, 'q2', { choices: ['a', 'b'] }),
      asked(4, 'q3'),
    ];
    expect(openQuestions(events)).toEqual([
      { questionId: 'q2', nodeId: 'agent', question: 'q q2?', choices: ['a', 'b'] },
      { questionId: 'q3', nodeId: 'agent', question: 'q q3?' },
    ]);
    expect(openQuestions([])).toEqual([]);
  });
});

describe('answerFromText', () => {
  it('reads a number or boolean choice as JSON, and keeps string choices as text', () => {
    expect(answerFromText('4', { choices: [2, 4] })).toBe(4);
    expect(answerFromText('true', { choices: [true, false] })).toBe(true);
    expect(answerFromText('4', { choices: ['2', '4'] })).toBe('4');
    expect(answerFromText('5', { choices: [2, 4] })).toBe('5');
  });

  it('reads JSON for a question with a schema, text otherwise', () => {
    expect(answerFromText('{"n": 2}', { schema: { type: 'object' } })).toEqual({ n: 2 });
    expect(answerFromText('two', { schema: { type: 'string' } })).toBe('two');
    expect(answerFromText('{"n": 2}', {})).toBe('{"n": 2}');
    expect(answerFromText('42', {})).toBe('42');
  });
});
