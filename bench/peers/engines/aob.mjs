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
import { handlers } from '../../lib/harness.mjs';
import { runEnds } from './run-ends.mjs';

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
  const ends = runEnds();
  engine.onEvent((e) => {
    if (e.type === 'NodeStarted') onStep();
    else ends.observe(e);
  });
  return ends.engineFor(
    (definition) => engine.control.start(definition, {}),
    async () => {
      await engine.close();
      rmSync(home, { recursive: true, force: true });
    },
  );
}
