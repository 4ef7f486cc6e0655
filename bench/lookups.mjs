// Cross-run lookups as the store grows: `aob approvals list` (open tickets), `aob patch show <id>`
// and an approval decision (finding the ticket's run, then handing the decision over), through the
// application layer (RunControl) exactly as the CLI and the API call them, with 10 and then
// 10,000 finished runs in the store, on the durable file store and on PostgreSQL.
//
// The finished runs are copies of a real run (a task, an approval that was decided, a patch that
// was applied, a last task), recorded once by a LocalEngine and appended with fresh run, ticket
// and patch ids, so every store holds logs the engine wrote. One live run waits on its approval.
// The decision's driver hands nothing over (it resolves at once): what is measured is finding the
// ticket, which is what grows with the store; delivery is the same for every store size.
//
//   node bench/lookups.mjs [--runs 10000] [--rounds 30] [--stores file,pg] [--json]
//
// PostgreSQL: DATABASE_URL (admin) or postgres://postgres@127.0.0.1:5432/postgres; a fresh
// database is created and dropped. After each bulk seed the bench runs ANALYZE, as autovacuum
// would within a minute of such a load: with the statistics of an empty table the planner scans
// every run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { LocalEngine, RunControl, irLoader, newId } from '@aob/engine';
import { PgEventStore, openLocalStores } from '@aob/store';
import { fmt, median, parseArgs } from './lib/harness.mjs';

const opts = parseArgs(process.argv.slice(2), {
  runs: 10_000,
  rounds: 30,
  stores: 'file,pg',
  json: false,
});

const workflow = {
  name: 'bench-lookups',
  version: '1',
  nodes: [
    { id: 'a', type: 'task', with: { handler: 'noop' } },
    { id: 'gate', type: 'approval', with: { approvers: ['user:bench'] } },
    { id: 'b', type: 'task', with: { handler: 'noop' } },
  ],
  edges: [
    { from: 'a', to: 'gate' },
    { from: 'gate', to: 'b', on: 'approved' },
  ],
};
const patchOps = [
  { op: 'add', path: '/nodes/-', value: { id: 'extra', type: 'transform', with: { value: 1 } } },
  { op: 'add', path: '/edges/-', value: { from: 'b', to: 'extra' } },
];

/** A finished and a waiting run, recorded by the real engine, with their ids and content. */
async function record() {
  const engine = await LocalEngine.open({ store: 'memory', handlers: { noop: async () => null } });
  const ops = engine.control;
  const template = async (finish) => {
    const runId = await ops.start(workflow, {}, { actor: 'bench' });
    await ops.wait(runId, { untilSettled: true, timeoutMs: 10_000 });
    const patch = await ops.proposePatch(runId, patchOps, { author: 'bench' });
    const [ticket] = await ops.approvals({});
    if (finish) {
      await ops.approve(ticket.ticketId, 'approved', 'user:bench');
      const done = await ops.wait(runId, { timeoutMs: 10_000 });
      if (done.status !== 'completed') throw new Error(`template run ended ${done.status}`);
    }
    return {
      runId,
      ticketId: ticket.ticketId,
      patchId: patch.patchId,
      events: await ops.events(runId),
    };
  };
  const finished = await template(true);
  const waiting = await template(false);
  return { engine, finished, waiting };
}

/** The template's events with every id of the template made unique by `suffix`, as new events. */
function copyOf(t, suffix) {
  let text = JSON.stringify(t.events);
  for (const id of [t.runId, t.ticketId, t.patchId]) text = text.split(id).join(`${id}${suffix}`);
  const runId = `${t.runId}${suffix}`;
  const events = JSON.parse(text).map(({ runId: _r, seq: _s, ...e }) => e);
  return {
    runId,
    ticketId: `${t.ticketId}${suffix}`,
    patchId: `${t.patchId}${suffix}`,
    irHash: t.events[0].irHash,
    events,
  };
}

async function openStore(kind) {
  if (kind === 'file') {
    const home = mkdtempSync(join(tmpdir(), 'aob-bench-lookups-'));
    const { events } = openLocalStores(home);
    return {
      store: events,
      analyze: async () => undefined,
      close: async () => (await events.close(), rmSync(home, { recursive: true })),
    };
  }
  const admin = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `aob_bench_lookups_${process.pid}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const store = await PgEventStore.open({ connectionString: url.toString(), poolSize: 4 });
  const analyze = async () => {
    const a = new pg.Client({ connectionString: url.toString() });
    await a.connect();
    await a.query('ANALYZE');
    await a.end();
  };
  return {
    store,
    analyze,
    close: async () => {
      await store.close();
      const d = new pg.Client({ connectionString: admin });
      await d.connect();
      await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await d.end();
    },
  };
}

async function seed(store, template, from, to) {
  const batch = [];
  for (let i = from; i < to; i++) {
    const c = copyOf(template, `_${i}`);
    batch.push(store.append(c.runId, c.irHash, 0, c.events));
    if (batch.length === 200) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
}

async function timed(rounds, fn) {
  for (let i = 0; i < 3; i++) await fn(); // warm-up
  const ms = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

async function measure(control, live, oldest, rounds) {
  return {
    approvalsList: await timed(rounds, async () => {
      const open = await control.approvals({});
      if (open.length !== 1) throw new Error(`expected 1 open ticket, found ${open.length}`);
    }),
    patchShow: await timed(rounds, () => control.patch(oldest.patchId)),
    decision: await timed(rounds, () => control.approve(live.ticketId, 'approved', 'user:bench')),
  };
}

const { engine, finished, waiting } = await record();
const results = {};
for (const kind of opts.stores.split(',')) {
  const { store, analyze, close } = await openStore(kind);
  try {
    const control = new RunControl({
      store,
      content: engine.content,
      loadIr: irLoader(engine.content),
      now: Date.now,
      newId,
      driver: { start: async () => true, deliver: async () => false },
    });
    const live = copyOf(waiting, '_live');
    await store.append(live.runId, live.irHash, 0, live.events);
    const oldest = copyOf(finished, '_0');
    const small = 10;
    await seed(store, finished, 0, small);
    await analyze();
    const before = await measure(control, live, oldest, opts.rounds);
    const t0 = performance.now();
    await seed(store, finished, small, opts.runs);
    const seedMs = performance.now() - t0;
    await analyze();
    const after = await measure(control, live, oldest, opts.rounds);
    results[kind] = { small, large: opts.runs, seedMs, before, after };
  } finally {
    await close();
  }
}
await engine.close();

if (opts.json) {
  console.log(JSON.stringify({ runs: opts.runs, rounds: opts.rounds, results }));
} else {
  for (const [kind, r] of Object.entries(results)) {
    console.log(
      `${kind}: ${r.small} → ${r.large} finished runs (seeded in ${fmt(r.seedMs / 1000, 1)} s), medians of ${opts.rounds}`,
    );
    for (const k of ['approvalsList', 'patchShow', 'decision']) {
      const ratio = r.after[k] / r.before[k];
      console.log(
        `  ${k.padEnd(14)} ${fmt(r.before[k], 3)} ms → ${fmt(r.after[k], 3)} ms  (×${fmt(ratio, 2)}; target ≤ ×2)`,
      );
    }
  }
}
