import { describe, expect, it } from 'vitest';
import { AobError, toErrorData } from './errors.js';

describe('toErrorData', () => {
  it('keeps what a thrown plain object says instead of "[object Object]"', () => {
    expect(toErrorData({ code: 'WEIRD', msg: 'x' })).toEqual({
      code: 'WEIRD',
      message: '{"code":"WEIRD","msg":"x"}',
      retryable: true,
    });
    expect(toErrorData(['a', 1]).message).toBe('["a",1]');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(toErrorData(cyclic).message).toBe('[object Object]');
    expect(toErrorData({ big: 'x'.repeat(5_000) }).message).toHaveLength(2_001);
  });

  it('takes errors and primitives as before', () => {
    expect(toErrorData(new AobError('E', 'm', { retryable: false }))).toEqual({
      code: 'E',
      message: 'm',
      retryable: false,
    });
    expect(toErrorData(new Error('boom'))).toMatchObject({
      code: 'HANDLER_ERROR',
      message: 'boom',
    });
    expect(toErrorData('text')).toEqual({
      code: 'HANDLER_ERROR',
      message: 'text',
      retryable: true,
    });
    expect(toErrorData(new URL('https://e.example/'))).toMatchObject({
      message: 'https://e.example/',
    });
  });
});
