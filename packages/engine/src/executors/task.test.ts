import { describe, expect, it } from 'vitest';
import type { NodeJob } from '@aob/core';
import { taskExecutor } from './task.js';
import type { ExecutorContext, HandlerContext, TaskHandler } from './types.js';

const silent = { info() {}, warn() {}, error() {} };

function job(handler: unknown, input: unknown = { x: 1 }): NodeJob {
  return {
    runId: 'run-1',
    nodeId: 'work',
    attempt: 2,
    irHash: 'h',
    type: 'task',
    config: { handler },
    input,
    inputRef: { $cas: 'sha256:00', size: 0 },
    timeoutMs: 30_000,
    priority: 'medium',
    idempotencyKey: 'run-1:work',
  };
}

function ctx(
  handlers: Record<string, TaskHandler>,
  signal = new AbortController().signal,
): ExecutorContext {
  return {
    runId: 'run-1',
    nodeId: 'work',
    attempt: 2,
    idempotencyKey: 'run-1:work',
    signal,
    log: silent,
    options: { handlers, allowPrivateNetwork: false },
  };
}

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected a rejection'),
    (err: unknown) =>
      err as { code: string; message: string; retryable: boolean; details?: unknown },
  );

describe('task executor', () => {
  it('calls the handler with the input and a handler context, and returns its result', async () => {
    let seen: { input: unknown; hctx: HandlerContext } | undefined;
    const handlers = {
      double: async (input: unknown, hctx: HandlerContext) => {
        seen = { input, hctx };
        return { y: (input as { x: number }).x * 2 };
      },
    };
    await expect(taskExecutor(job('double'), ctx(handlers))).resolves.toEqual({ y: 2 });
    expect(seen?.input).toEqual({ x: 1 });
    expect(seen?.hctx).toMatchObject({
      runId: 'run-1',
      nodeId: 'work',
      attempt: 2,
      idempotencyKey: 'run-1:work',
    });
    expect(seen?.hctx.signal).toBeInstanceOf(AbortSignal);
    expect(seen?.hctx).not.toHaveProperty('options');
  });

  it('accepts synchronous handlers and turns undefined into null', async () => {
    await expect(taskExecutor(job('noop'), ctx({ noop: () => undefined }))).resolves.toBeNull();
  });

  it('refuses an unknown handler, naming it and listing the available ones', async () => {
    const err = await rejection(taskExecutor(job('sendReply'), ctx({ b: () => 1, a: () => 2 })));
    expect(err.code).toBe('UNKNOWN_HANDLER');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('"sendReply"');
    expect(err.message).toContain('available: a, b');
    expect(err.details).toEqual({ handler: 'sendReply', available: ['a', 'b'] });
  });

  it('does not resolve handler names through the prototype chain', async () => {
    for (const name of ['constructor', 'toString', '__proto__']) {
      const err = await rejection(taskExecutor(job(name), ctx({})));
      expect(err.code).toBe('UNKNOWN_HANDLER');
    }
  });

  it('refuses a missing handler name as bad config', async () => {
    const err = await rejection(taskExecutor(job(undefined), ctx({})));
    expect(err).toMatchObject({ code: 'BAD_CONFIG', retryable: false });
  });

  it('makes errors thrown by user code retryable by default', async () => {
    const handlers = {
      boom: () => {
        throw new Error('database unavailable');
      },
    };
    const err = await rejection(taskExecutor(job('boom'), ctx(handlers)));
    expect(err).toMatchObject({
      code: 'HANDLER_ERROR',
      message: 'database unavailable',
      retryable: true,
    });
  });

  it('keeps a thrown code and honours retryable: false', async () => {
    const handlers = {
      reject: async () => {
        throw Object.assign(new Error('ticket is closed'), {
          code: 'TICKET_CLOSED',
          retryable: false,
          details: { ticket: 7 },
        });
      },
    };
    const err = await rejection(taskExecutor(job('reject'), ctx(handlers)));
    expect(err).toMatchObject({
      code: 'TICKET_CLOSED',
      message: 'ticket is closed',
      retryable: false,
      details: { ticket: 7 },
    });
  });

  it('handles non-Error throws', async () => {
    const err = await rejection(
      taskExecutor(
        job('str'),
        ctx({
          str: () => {
            throw 'plain string';
          },
        }),
      ),
    );
    expect(err).toMatchObject({ code: 'HANDLER_ERROR', message: 'plain string', retryable: true });
  });

  it.each([
    ['a function', () => ({ fn: () => 1 })],
    ['a bigint', () => ({ n: 10n })],
    [
      'a cycle',
      () => {
        const a: Record<string, unknown> = {};
        a['self'] = a;
        return a;
      },
    ],
  ])('refuses output containing %s as BAD_OUTPUT', async (_what, handler) => {
    const err = await rejection(taskExecutor(job('h'), ctx({ h: handler })));
    expect(err).toMatchObject({ code: 'BAD_OUTPUT', retryable: false });
  });

  it('stops waiting for a handler that ignores cancellation', async () => {
    const controller = new AbortController();
    const never = () => new Promise(() => undefined);
    const pending = taskExecutor(job('never'), ctx({ never }, controller.signal));
    controller.abort();
    const err = await rejection(pending);
    expect(err).toMatchObject({ code: 'CANCELLED', retryable: false });
  });

  it('does not call the handler when already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    let called = false;
    const err = await rejection(
      taskExecutor(job('h'), ctx({ h: () => (called = true) }, controller.signal)),
    );
    expect(err.code).toBe('CANCELLED');
    expect(called).toBe(false);
  });
});
