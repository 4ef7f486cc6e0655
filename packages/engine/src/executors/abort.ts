import { AobError } from '@aob/core';

/**
 * The error an aborted executor throws. An abort reason that is an AobError (the job
 * timeout raises 'TIMEOUT', the orchestrator may raise 'CANCELLED') is passed through unchanged so
 * its code and retryability survive; any other reason means the run was cancelled.
 */
export function abortError(signal: AbortSignal): AobError {
  const reason: unknown = signal.reason;
  if (reason instanceof AobError) return reason;
  // Judged by shape, not class: the reason may come from another copy of @aob/core.
  const r = reason as { code?: unknown; message?: unknown; retryable?: unknown; details?: unknown };
  if (
    typeof r?.code === 'string' &&
    typeof r.message === 'string' &&
    typeof r.retryable === 'boolean'
  ) {
    return AobError.fromData({
      code: r.code,
      message: r.message,
      retryable: r.retryable,
      details: r.details,
    });
  }
  return new AobError('CANCELLED', 'node execution was cancelled', { retryable: false });
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortError(signal);
}

/**
 * Settles with `work` or rejects with `abortError(signal)` as soon as `signal` aborts, whichever
 * comes first. `work` is not stopped (it cannot be); the caller stops waiting for it. The listener
 * is always removed, so long-lived signals do not accumulate listeners.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined); // the abandoned work may still reject; nobody is waiting for it
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      work.catch(() => undefined);
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export interface LinkedSignal {
  signal: AbortSignal;
  /** Clears the timer and detaches from the outer signal; call it in a `finally`. */
  dispose(): void;
}

/**
 * A signal that aborts when `outer` does (with the same reason) or after `timeoutMs` with the
 * reason `onTimeout()`. A missing, non-positive or non-finite `timeoutMs` means no timer; values
 * beyond setTimeout's range are clamped so they cannot overflow into an immediate timeout.
 */
export function linkSignal(
  outer: AbortSignal,
  timeoutMs: number | undefined,
  onTimeout: () => unknown,
  /** The controller behind `outer`, made for this attempt alone: the timer aborts it directly. */
  owned?: AbortController,
): LinkedSignal {
  if (owned !== undefined && owned.signal === outer) {
    if (
      outer.aborted ||
      timeoutMs === undefined ||
      !(timeoutMs > 0) ||
      !Number.isFinite(timeoutMs)
    ) {
      return { signal: outer, dispose: () => undefined };
    }
    const timer = setTimeout(() => owned.abort(onTimeout()), Math.min(timeoutMs, MAX_TIMER_MS));
    return { signal: outer, dispose: () => clearTimeout(timer) };
  }
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(outer.reason);
  let timer: NodeJS.Timeout | undefined;
  if (outer.aborted) {
    controller.abort(outer.reason);
  } else {
    outer.addEventListener('abort', onOuterAbort, { once: true });
    if (timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs)) {
      timer = setTimeout(() => controller.abort(onTimeout()), Math.min(timeoutMs, MAX_TIMER_MS));
    }
  }
  return {
    signal: controller.signal,
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      outer.removeEventListener('abort', onOuterAbort);
    },
  };
}

const MAX_TIMER_MS = 2 ** 31 - 1;
