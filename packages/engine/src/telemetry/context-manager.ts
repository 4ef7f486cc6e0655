// The OpenTelemetry context manager aob installs when it traces (ARCHITECTURE §10).
//
// The SDK's own manager keeps the active context across awaits with AsyncLocalStorage, and on
// Node 20 that costs every promise of the process a hook: measured, a fifth of a local engine's
// throughput, twice what tracing may cost it. aob's spans do not need it: the engine passes each
// span's parent explicitly (a run's trace context from its log, a message's `traceparent`, a
// job's, the attempt's context given to its executor). So this manager starts synchronous — a
// context is active for the synchronous part of `with`, like a stack — and keeps contexts across
// awaits only once something needs that (keepContextAcrossAwaits): the services (their log
// lines), `aob dev` and `aob mcp` when they trace (their HTTP and MCP server spans), and an agent
// node, whose framework reads the active context deep inside its own code.
import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { Context, ContextManager } from '@opentelemetry/api';

/** Whether contexts are kept across awaits in this process (never turned off once on). */
let acrossAwaits = false;
/** The manager installed last, to switch when contexts start being kept across awaits. */
let installed: AobContextManager | undefined;

/**
 * From now on the active context holds across awaits (AsyncLocalStorage), in the manager
 * installed now and in any installed later. There is no turning it off.
 */
export function keepContextAcrossAwaits(): void {
  acrossAwaits = true;
  installed?.holdAcrossAwaits();
}

/** A manager to install (startTracing); it keeps contexts across awaits if the process does. */
export function newContextManager(): ContextManager {
  const manager = new AobContextManager();
  if (acrossAwaits) manager.holdAcrossAwaits();
  installed = manager;
  return manager;
}

class AobContextManager implements ContextManager {
  /** The contexts of the synchronous `with` calls under way, innermost last. */
  private readonly stack: Context[] = [];
  private storage: AsyncLocalStorage<Context> | undefined;

  holdAcrossAwaits(): void {
    this.storage ??= new AsyncLocalStorage<Context>();
  }

  active(): Context {
    // A synchronous `with` begun before contexts were kept across awaits may still be under way.
    return this.storage?.getStore() ?? this.stack[this.stack.length - 1] ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    if (this.storage) return this.storage.run(ctx, () => fn.call(thisArg, ...args));
    this.stack.push(ctx);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.stack.pop();
    }
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as (...args: unknown[]) => unknown;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the manager, not the caller's `this`
    const manager = this;
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(ctx, () => fn.apply(this, args));
    } as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.stack.length = 0;
    this.storage?.disable();
    this.storage = undefined;
    if (installed === this) installed = undefined;
    return this;
  }
}
