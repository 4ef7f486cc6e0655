// The OpenAI Agents SDK without its process listeners. Traces would be exported to
// api.openai.com (the engine records runs in its own event log), so tracing is off; but loading
// the SDK creates its trace provider, which adds process listeners that, on SIGINT or SIGTERM (or
// an unhandled rejection) with no other listener left, call process.exit — cutting `aob dev`'s
// and the runners' graceful stop short (leases not released, a run not handed over). So the
// adapter is loaded only through `withoutNewProcessListeners`, which takes off every listener
// the load added.

const EVENTS = ['SIGINT', 'SIGTERM', 'unhandledRejection', 'beforeExit'];

type Listener = (...args: unknown[]) => void;
// Listeners by event name, whatever the event: Node's typed overloads cannot take a union.
const emitter = process as unknown as {
  listeners(event: string): Listener[];
  off(event: string, listener: Listener): void;
};

/** Runs `load`, then removes the process listeners for EVENTS that it added. */
export async function withoutNewProcessListeners<T>(load: () => Promise<T>): Promise<T> {
  const before = new Map(EVENTS.map((e) => [e, new Set(emitter.listeners(e))]));
  try {
    return await load();
  } finally {
    for (const e of EVENTS) {
      for (const l of emitter.listeners(e)) if (!before.get(e)!.has(l)) emitter.off(e, l);
    }
  }
}
