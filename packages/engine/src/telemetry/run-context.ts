// What run (and node attempt) the code running now works for (ARCHITECTURE §10): set around each
// decision of the orchestrator and each node attempt of a runner, read by whoever writes a log
// line or a metric inside them. Plain AsyncLocalStorage, so it holds with tracing off too.
import { AsyncLocalStorage } from 'node:async_hooks';
import { context, trace } from '@opentelemetry/api';
import { keepContextAcrossAwaits } from './context-manager.js';

export interface RunContext {
  runId: string;
  /** The node of the attempt (absent in a decision that is not about one node). */
  nodeId?: string;
  nodeType?: string;
  attempt?: number;
  /** The map item of the attempt. */
  iteration?: number;
  /** The active span's trace id (32 hex digits): the run's trace, whether or not it is sampled. */
  traceId?: string;
  /** The active span's id (16 hex digits). */
  spanId?: string;
}

const storage = new AsyncLocalStorage<RunContext>();
/**
 * Whether the run context is kept. AsyncLocalStorage costs every promise of the process a hook
 * (measured: a fifth of a local engine's throughput), so it is on only where something reads it:
 * the services (their log lines), and `aob dev` and `aob mcp` when they trace.
 */
let kept = false;

/**
 * Keeps the run context from now on (a service, a tracing `aob dev`), and the active trace
 * context across awaits with it; there is no turning it off.
 */
export function enableRunContext(): void {
  kept = true;
  keepContextAcrossAwaits();
}

/**
 * The run, node and trace the calling code works for: inside an orchestrator's decision (runId)
 * or a runner's node attempt (runId, nodeId, nodeType, attempt), with the trace and span ids of
 * the active span when tracing is on, else of the run's trace context. Undefined elsewhere.
 */
export function currentRunContext(): RunContext | undefined {
  const held = storage.getStore();
  if (!held) return undefined;
  const active = trace.getSpanContext(context.active());
  if (!active || !trace.isSpanContextValid(active)) return held;
  return { ...held, traceId: active.traceId, spanId: active.spanId };
}

/** Runs `fn` with `ctx` as the current run context (currentRunContext), when it is kept. */
export function withRunContext<T>(ctx: RunContext, fn: () => T): T {
  return kept ? storage.run(ctx, fn) : fn();
}
