// The floors under a durable step: what one commit of one small row costs on this machine.
//   sqlite  better-sqlite3 as @aob/store loads it (the same build), WAL, one INSERT per
//           transaction, synchronous=NORMAL (--sync normal: no fsync at commit) or FULL (fsync of
//           the WAL at every commit); a fresh file under the OS temp directory (where aob's
//           benchmark homes are).
//   pg      one INSERT per autocommit transaction over one connection to --db (this machine's
//           PostgreSQL: fsync on, synchronous_commit on).
// Prints the p50/p99 of --commits commits after --warmup.
//
//   node bench/peers/floors.mjs --floor sqlite --sync normal|full | --floor pg --db URL [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs, report, summarise } from '../lib/harness.mjs';

const opts = parseArgs(process.argv.slice(2), {
  floor: '',
  sync: 'normal',
  db: '',
  commits: 2000,
  warmup: 200,
  json: false,
});
const fromStore = createRequire(import.meta.resolve('@aob/store'));

async function sqlite() {
  const Sqlite = fromStore('better-sqlite3');
  const dir = mkdtempSync(join(tmpdir(), 'aob-floor-'));
  const db = new Sqlite(join(dir, 'floor.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.sync === 'full' ? 'FULL' : 'NORMAL'}`);
    db.exec('create table t (id integer primary key, v blob)');
    const insert = db.prepare('insert into t (v) values (?)');
    const row = Buffer.alloc(200, 1);
    const times = [];
    for (let i = 0; i < opts.warmup + opts.commits; i++) {
      const t0 = performance.now();
      insert.run(row);
      if (i >= opts.warmup) times.push(performance.now() - t0);
    }
    return summarise(times);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function pg() {
  const { default: pgLib } = await import('pg');
  const client = new pgLib.Client({ connectionString: opts.db });
  await client.connect();
  try {
    await client.query('create table if not exists floor (id bigserial primary key, v text)');
    const row = 'x'.repeat(200);
    const times = [];
    for (let i = 0; i < opts.warmup + opts.commits; i++) {
      const t0 = performance.now();
      await client.query('insert into floor (v) values ($1)', [row]);
      if (i >= opts.warmup) times.push(performance.now() - t0);
    }
    return summarise(times);
  } finally {
    await client.end();
  }
}

const floors = { sqlite, pg };
if (!(opts.floor in floors)) throw new Error('--floor must be sqlite or pg');
const commit = await floors[opts.floor]();
report(opts.json, { floor: opts.floor, sync: opts.sync, commit }, [JSON.stringify(commit)]);
