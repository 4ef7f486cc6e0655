import { afterEach, describe, expect, it, vi } from 'vitest';
import { AobError, NodeType } from '@aob/core';
import type { NodeJob } from '@aob/core';
import { httpExecutor } from './http.js';
import { llmExecutor } from './llm.js';
import { executorFor, runExecutor } from './registry.js';
import { taskExecutor } from './task.js';
import type { Executor, ExecutorContext } from './types.js';

function job(
  type: NodeType,
  config: Record<string, unknown> = {},
  input: unknown = null,
  timeoutMs = 1_000,
): NodeJob {
  return {
    runId: 'run-1',
    nodeId: 'n',
    attempt: 1,
    irHash: 'h',
    type,
    config,
    input,
    inputRef: { $cas: 'sha256:00', size: 0 },
    timeoutMs,
    priority: 'medium',
    idempotencyKey: 'run-1:n',
  };
}

function ctx(signal = new AbortController().signal): ExecutorContext {
  return {
    runId: 'run-1',
    nodeId: 'n',
    attempt: 1,
    idempotencyKey: 'run-1:n',
    signal,
    log: { info() {}, warn() {}, error() {} },
    options: { handlers: { hi: () => 'hello' }, allowPrivateNetwork: false },
  };
}

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected a rejection'),
    (err: unknown) =>
      err as { code: string; message: string; retryable: boolean; details?: unknown },
  );

afterEach(() => {
  vi.useRealTimers();
});

describe('executorFor', () => {
  it('has executors for task, http, transform and join', () => {
    expect(executorFor('task')).toBe(taskExecutor);
    expect(executorFor('http')).toBe(httpExecutor);
    expect(typeof executorFor('transform')).toBe('function');
    expect(typeof executorFor('join')).toBe('function');
    expect(executorFor('llm')).toBe(llmExecutor);
  });

  it.each(['map', 'subworkflow', 'approval', 'timer'] as const)(
    'refuses %s as UNSUPPORTED_NODE_TYPE',
    (type) => {
      expect(() => executorFor(type)).toThrow(
        expect.objectContaining({ code: 'UNSUPPORTED_NODE_TYPE', retryable: false }),
      );
    },
  );
});

describe('transform and join', () => {
  it('transform outputs with.value', async () => {
    await expect(runExecutor(job('transform', { value: { a: [1, 2] } }), ctx())).resolves.toEqual({
      a: [1, 2],
    });
  });

  it('join outputs its input', async () => {
    const input = { left: 1, right: { ok: true } };
    await expect(runExecutor(job('join', {}, input), ctx())).resolves.toEqual(input);
  });
});

describe('runExecutor', () => {
  it('runs the executor for the job type', async () => {
    await expect(runExecutor(job('task', { handler: 'hi' }), ctx())).resolves.toBe('hello');
  });

  it('rejects an unsupported type as a rejected promise, not a synchronous throw', async () => {
    const err = await rejection(runExecutor(job(NodeType.approval), ctx()));
    expect(err.code).toBe('UNSUPPORTED_NODE_TYPE');
  });

  it('aborts with a retryable TIMEOUT after job.timeoutMs, even if the executor ignores the signal', async () => {
    vi.useFakeTimers();
    let seen: AbortSignal | undefined;
    const stuck: Executor = (_job, c) => {
      seen = c.signal;
      return new Promise(() => undefined);
    };
    const pending = rejection(runExecutor(job('task', {}, null, 250), ctx(), stuck));
    await vi.advanceTimersByTimeAsync(249);
    expect(seen?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const err = await pending;
    expect(err).toBeInstanceOf(AobError);
    expect(err).toMatchObject({
      code: 'TIMEOUT',
      retryable: true,
      message: 'node n timed out after 250 ms',
    });
    expect(seen?.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('arms the timeout on a controller the caller owns, and its cancellation still wins', async () => {
    vi.useFakeTimers();
    const stuck: Executor = () => new Promise(() => undefined);
    const owned = new AbortController();
    const timedOut = rejection(
      runExecutor(job('task', {}, null, 100), ctx(owned.signal), stuck, owned),
    );
    await vi.advanceTimersByTimeAsync(100);
    expect(await timedOut).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(owned.signal.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);

    const other = new AbortController();
    const cancelled = rejection(
      runExecutor(job('task', {}, null, 100), ctx(other.signal), stuck, other),
    );
    other.abort();
    expect(await cancelled).toMatchObject({ code: 'CANCELLED', retryable: false });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears the timer when the executor finishes first', async () => {
    vi.useFakeTimers();
    await expect(runExecutor(job('transform', { value: 1 }, null, 60_000), ctx())).resolves.toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    const failing: Executor = () => Promise.reject(new AobError('HANDLER_ERROR', 'x'));
    await rejection(runExecutor(job('task', {}, null, 60_000), ctx(), failing));
    expect(vi.getTimerCount()).toBe(0);
  });

  it('passes an outer cancellation through as CANCELLED, or as the AobError it was given', async () => {
    const controller = new AbortController();
    const stuck: Executor = () => new Promise(() => undefined);
    const pending = rejection(runExecutor(job('task'), ctx(controller.signal), stuck));
    controller.abort();
    expect(await pending).toMatchObject({ code: 'CANCELLED', retryable: false });

    const other = new AbortController();
    const pending2 = rejection(runExecutor(job('task'), ctx(other.signal), stuck));
    other.abort(new AobError('TIMEOUT', 'run deadline passed', { retryable: false }));
    expect(await pending2).toMatchObject({ code: 'TIMEOUT', message: 'run deadline passed' });
  });

  it('does not start the executor when the outer signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const spy = vi.fn<Executor>(async () => 1);
    const err = await rejection(runExecutor(job('task'), ctx(controller.signal), spy));
    expect(err.code).toBe('CANCELLED');
    expect(spy).not.toHaveBeenCalled();
  });

  it('turns a non-AobError from an executor into error data', async () => {
    const buggy: Executor = () => {
      throw new TypeError('oops');
    };
    const err = await rejection(runExecutor(job('task'), ctx(), buggy));
    expect(err).toBeInstanceOf(AobError);
    expect(err).toMatchObject({ code: 'EXECUTOR_ERROR', message: 'oops', retryable: true });
  });
});
