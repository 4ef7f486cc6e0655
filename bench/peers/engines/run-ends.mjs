// What both of aob's engines share: waiting for runs to end, by their committed events, and the
// two workloads (chains and fan-outs of no-op tasks), each definition made once.
import { chain } from '../../lib/harness.mjs';

/** A `map` over `width` items (all at once), each a no-op task, then a no-op `join` task. */
export function fanout(width) {
  return {
    name: `bench-fanout-${width}`,
    version: '1',
    nodes: [
      {
        id: 'fan',
        type: 'map',
        with: {
          items: Array.from({ length: width }, (_, i) => i),
          concurrency: width,
          body: { type: 'task', with: { handler: 'noop' } },
        },
      },
      { id: 'join', type: 'task', with: { handler: 'noop' } },
    ],
    edges: [{ from: 'fan', to: 'join' }],
  };
}

/**
 * Tracks runs to their end. Feed it every committed event (`observe`); `engineFor(start)` gives
 * the engine object run.mjs drives, where `start(definition)` resolves with the run's id (a run
 * may end before it does: its end is kept until asked for).
 */
export function runEnds() {
  const waiting = new Map(); // runId -> { resolve, reject }
  const ended = new Map(); // runId -> error or null, for runs that end before start() resolves
  const observe = (e) => {
    if (e.type !== 'RunCompleted' && e.type !== 'RunFailed' && e.type !== 'RunCancelled') return;
    const error =
      e.type === 'RunCompleted'
        ? null
        : new Error(`${e.runId}: ${e.type} ${JSON.stringify(e.data)}`);
    const w = waiting.get(e.runId);
    if (w === undefined) ended.set(e.runId, error);
    else {
      waiting.delete(e.runId);
      if (error) w.reject(error);
      else w.resolve();
    }
  };
  const engineFor = (start, close) => {
    const runToEnd = async (definition) => {
      const runId = await start(definition);
      if (ended.has(runId)) {
        const error = ended.get(runId);
        ended.delete(runId);
        if (error) throw error;
        return;
      }
      await new Promise((resolve, reject) => waiting.set(runId, { resolve, reject }));
    };
    const chains = new Map();
    const fanouts = new Map();
    return {
      run: (length) => {
        if (!chains.has(length)) chains.set(length, chain(length));
        return runToEnd(chains.get(length));
      },
      fanout: (width) => {
        if (!fanouts.has(width)) fanouts.set(width, fanout(width));
        return runToEnd(fanouts.get(width));
      },
      close,
    };
  };
  return { observe, engineFor };
}
