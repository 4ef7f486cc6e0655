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
    expect(toErrorData(new AobError('TIMEOUT', 'm', { retryable: false }))).toEqual({
      code: 'TIMEOUT',
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

  it('defaults retryable from the catalogue, the same for AobError and for plain data', () => {
    expect(new AobError('RUN_NOT_FOUND', 'm').retryable).toBe(false);
    expect(new AobError('SEQ_CONFLICT', 'm').retryable).toBe(true);
    expect(toErrorData({ code: 'RUN_NOT_FOUND', message: 'm' }).retryable).toBe(false);
    expect(toErrorData({ code: 'SEQ_CONFLICT', message: 'm' }).retryable).toBe(true);
    // A user handler's own code: retried by the node's policy unless it says otherwise.
    expect(toErrorData({ code: 'MY_OWN', message: 'm' }).retryable).toBe(true);
    expect(AobError.fromData({ code: 'MY_OWN', message: 'm', retryable: false })).toMatchObject({
      code: 'MY_OWN',
      retryable: false,
    });
  });
});
