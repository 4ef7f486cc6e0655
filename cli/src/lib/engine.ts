// Opening the local engine. A failure to open is "cannot reach the store" (exit 3) unless it is
// the user's input that is wrong (a handlers module that is missing or does not load: exit 2).
import { existsSync } from 'node:fs';
import { setServerLimits } from '@aob/core';
import { LocalEngine, startTracing } from '@aob/engine';
import type { LocalEngineOptions, Tracing } from '@aob/engine';
import { autoOptimizer } from './auto-optimizer.js';
import { badInput, unreachable } from './errors.js';
import { ExitCode, exitCodeForError } from './exit-codes.js';
import type { EngineSettings } from './settings.js';

export async function openEngine(settings: EngineSettings): Promise<LocalEngine> {
  if (settings.handlersFile !== undefined && !existsSync(settings.handlersFile)) {
    throw badInput('HANDLERS_NOT_FOUND', `handlers module not found: ${settings.handlersFile}`);
  }
  setServerLimits(settings.limits);
  // Local runs are traced from the OTEL_* variables too (nothing starts without an exporter).
  await startCliTracing();
  const opts: LocalEngineOptions = {
    home: settings.home,
    store: settings.store,
    durability: settings.durability,
    allowPrivateNetwork: settings.allowPrivateNetwork,
  };
  if (settings.handlersFile !== undefined) opts.handlersFile = settings.handlersFile;
  if (settings.llm) opts.llm = settings.llm;
  if (settings.search) opts.search = settings.search;
  if (settings.mcp) opts.mcp = settings.mcp;
  if (settings.workspaceRoot !== undefined) opts.workspaceRoot = settings.workspaceRoot;
  // The optimizer is loaded only when the engine is to run it by itself.
  if (process.env.AOB_OPTIMIZE_ON?.trim()) opts.optimizer = await autoOptimizer(process.env);
  try {
    return await LocalEngine.open(opts);
  } catch (e) {
    // Errors with a known meaning (the engine's STORE_UNAVAILABLE, HANDLERS_LOAD_FAILED, …) pass
    // through; anything else while opening means the store cannot be reached.
    if (exitCodeForError(e) !== ExitCode.Failed) throw e;
    const message = e instanceof Error ? e.message : String(e);
    throw unreachable('STORE_UNAVAILABLE', `cannot open the store at ${settings.home}: ${message}`);
  }
}

let tracing: Promise<Tracing> | undefined;

/**
 * Starts tracing for this process from the OpenTelemetry variables (once; `aob` is the service
 * name unless OTEL_SERVICE_NAME says otherwise). A bad variable is bad input (BAD_CONFIG, exit 2).
 */
export async function startCliTracing(serviceName = 'aob'): Promise<Tracing> {
  tracing ??= startTracing(process.env, { serviceName });
  try {
    return await tracing;
  } catch (err) {
    tracing = undefined;
    const e = err as { code?: string; message: string; details?: { problems?: [] } };
    if (e.code === 'BAD_CONFIG') throw badInput('BAD_CONFIG', e.message, e.details?.problems);
    throw err;
  }
}

/** Exports the spans not exported yet and stops tracing (as the command ends). */
export async function stopCliTracing(): Promise<void> {
  const started = tracing;
  tracing = undefined;
  await (await started?.catch(() => undefined))?.shutdown();
}
