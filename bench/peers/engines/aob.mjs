// aob's side: the built LocalEngine (packages/engine/dist), as bench/chain-hop.mjs and
// bench/concurrent-runs.mjs drive it — the chain and the no-op handler of bench/lib/harness.mjs,
// a fresh home per process. Variants: `normal` (file store, SQLite WAL synchronous=NORMAL, content
// files not fsynced), `full` (file store, durability full: synchronous=FULL and every content file
// and its directory fsynced) and `memory` (in-memory store: nothing survives the process).
//
// aob-pg-redis and aob-pg-kafka (aob's PostgreSQL deployments) are in aob-pg.mjs.
//
// A step is a task node; its start is NodeStarted as delivered to onEvent (after it is durable).
// A run has ended when RunCompleted is delivered (committed with the last NodeSucceeded).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalEngine } from '@aob/engine';
import { chain, handlers } from '../../lib/harness.mjs';

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

export const durability = {
  normal: 'file store: SQLite WAL synchronous=NORMAL, content files not fsynced (survives kill -9)',
  full: 'file store: SQLite WAL synchronous=FULL + every content file and its directory fsynced',
  memory: 'in-memory store (nothing survives the process)',
};

/** The engine named on the command line (`--engine aob-pg-redis` or `--engine=aob-pg-redis`). */
function engineArg() {
  const argv = process.argv;
  const i = argv.indexOf('--engine');
  return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--engine='))?.slice(9);
}

export async function open(options) {
  const { variant, onStep } = options;
  // aob-pg-redis, aob-pg-kafka: workload.mjs passes only `pg` on, the bus is the third part.
  if (variant === 'pg') {
    const pg = await import('./aob-pg.mjs');
    return pg.open({ ...options, variant: engineArg()?.split('-')[2] });
  }
  if (!(variant in durability))
    throw new Error(`aob variant must be normal|full|memory|pg-redis|pg-kafka`);
  const store = variant === 'memory' ? 'memory' : 'file';
  const home = mkdtempSync(join(tmpdir(), 'aob-bench-peers-'));
  const engine = await LocalEngine.open({
    home,
    store,
    handlers,
    ...(store === 'file' ? { durability: variant } : {}),
  });
  const waiting = new Map(); // runId -> { resolve, reject }
  const ended = new Map(); // runId -> error or null, for runs that end before start() resolves
  engine.onEvent((e) => {
    if (e.type === 'NodeStarted') onStep();
    else if (e.type === 'RunCompleted' || e.type === 'RunFailed' || e.type === 'RunCancelled') {
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
    }
  });
  const runToEnd = async (definition) => {
    const runId = await engine.control.start(definition, {});
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
    async close() {
      await engine.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
