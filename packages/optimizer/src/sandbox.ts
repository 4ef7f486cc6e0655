// Runs one call of a checked pass module in a worker thread (sandbox-worker.ts), under the time
// limit: a call still running at the limit has its worker terminated — the only way to stop a
// WebAssembly loop from outside — and fails with OPTIMIZER_TIMEOUT. Memory is bounded by the
// module's memory itself (abi.ts); the worker's own JavaScript heap by resourceLimits.
import { AobError, type ErrorCode } from '@aob/core';
import { Worker } from 'node:worker_threads';
import type { CheckedModule, PassLimits } from './abi.js';

// The worker is the built file beside this one's build: from src/ (tests) and dist/ alike,
// ../dist/ is the package's build output.
const WORKER = new URL('../dist/sandbox-worker.js', import.meta.url);

type WorkerAnswer = { ok: true; text: string } | { ok: false; code: ErrorCode; message: string };

/** The pass's answer as text (not yet parsed), or an AobError naming how it failed. */
export function callPass(
  pass: string,
  checked: CheckedModule,
  input: string,
  limits: PassLimits,
): Promise<string> {
  const worker = new Worker(WORKER, {
    workerData: {
      module: checked.module,
      memory: checked.memory,
      input,
      maxPages: limits.maxPages,
      maxOutputBytes: limits.maxOutputBytes,
    },
    resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
    stdout: true,
    stderr: true,
  });
  return new Promise<string>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      void worker.terminate();
    };
    // The limit covers the worker's start too: a pass's time is what it costs the caller.
    const timer = setTimeout(
      () =>
        settle(() =>
          reject(
            new AobError(
              'OPTIMIZER_TIMEOUT',
              `pass ${pass}: still running after ${limits.timeoutMs} ms; stopped`,
            ),
          ),
        ),
      limits.timeoutMs,
    );
    worker.once('message', (answer: WorkerAnswer) =>
      settle(() =>
        answer.ok
          ? resolve(answer.text)
          : reject(new AobError(answer.code, `pass ${pass}: ${answer.message}`)),
      ),
    );
    worker.once('error', (err: Error & { code?: string }) =>
      settle(() =>
        reject(
          new AobError(
            err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'OPTIMIZER_MEMORY_LIMIT' : 'OPTIMIZER_TRAP',
            `pass ${pass}: ${err.message}`,
          ),
        ),
      ),
    );
    worker.once('exit', (code) =>
      settle(() =>
        reject(
          new AobError(
            'OPTIMIZER_TRAP',
            `pass ${pass}: its worker exited (${code}) without an answer`,
          ),
        ),
      ),
    );
  });
}
