import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import Sqlite from 'better-sqlite3';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import type { AnyNewEvent } from '@aob/core';
import { eventStoreConformance } from './conformance/index.js';
import { log, started } from './conformance/fixtures.js';
import { MIGRATIONS } from './sqlite-schema.js';
import { SqliteEventStore } from './sqlite-events.js';

const root = mkdtempSync(join(tmpdir(), 'aob-store-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let homes = 0;
const freshHome = (): string => join(root, `home-${++homes}`);

eventStoreConformance('SqliteEventStore', async () => SqliteEventStore.open(freshHome()));

describe('SqliteEventStore', () => {
  it('refuses event data that has no JSON before queueing it (INVALID_APPEND), writing nothing', async () => {
    const store = SqliteEventStore.open(freshHome());
    try {
      await store.append('r', 'ir', 0, [started(1)]);
      const noJson = { ...log(2), data: undefined } as unknown as AnyNewEvent;
      await expect(store.append('r', 'ir', 1, [noJson])).rejects.toMatchObject({
        code: 'INVALID_APPEND',
      });
      expect((await store.read('r')).map((e) => e.seq)).toEqual([1]);
    } finally {
      await store.close();
    }
  });

  it('creates <home>/aob.db in WAL mode with the schema migrated once', async () => {
    const home = freshHome();
    const store = SqliteEventStore.open(home);
    await store.append('r', 'ir', 0, [started(1)]);
    await store.close();
    const again = SqliteEventStore.open(home); // reopening applies nothing twice
    await again.close();

    const db = new Sqlite(join(home, 'aob.db'), { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
      expect(versions).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    } finally {
      db.close();
    }
  });

  it('upgrades a version-1 database: workflows keep their rows, not retired; patches work', async () => {
    const home = freshHome();
    mkdirSync(home, { recursive: true });
    const v1 = new Sqlite(join(home, 'aob.db'));
    v1.exec(`CREATE TABLE schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    v1.exec(MIGRATIONS[0]!.sql);
    v1.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0)').run(MIGRATIONS[0]!.name);
    v1.prepare("INSERT INTO workflows VALUES ('w', '1', 'h1', 10), ('w', '2', 'h2', 20)").run();
    v1.close();

    const store = SqliteEventStore.open(home);
    try {
      expect(await store.getWorkflow('w')).toEqual({
        name: 'w',
        version: '2',
        irHash: 'h2',
        registeredAt: 20,
      });
      expect(await store.retireWorkflow('w', '2', 30)).toBe(true);
      expect((await store.getWorkflow('w'))?.version).toBe('1');
      const p = {
        patchId: 'p',
        workflow: 'w',
        baseVersion: '1',
        status: 'held' as const,
        author: 'a',
        ops: [],
        violations: [],
        baseIrHash: 'h1',
        proposedAt: 1,
      };
      expect(await store.putWorkflowPatch(p, null)).toBe(true);
      expect(await store.listWorkflowPatches('w')).toEqual([p]);
    } finally {
      await store.close();
    }
  });

  it('keeps the log, summaries, workflows, leases and inbox across reopening', async () => {
    const home = freshHome();
    const a = SqliteEventStore.open(home);
    await a.append('r', 'ir', 0, [started(1), log(2)]);
    await a.putWorkflow({ name: 'w', version: '1', irHash: 'h', registeredAt: 1 });
    await a.acquireLease('r', 'p1', 1000, 0);
    const cmd = await a.enqueueCommand('r', 'cancel', { by: 'ada' }, 3);
    await a.close();

    const b = SqliteEventStore.open(home);
    expect((await b.read('r')).map((e) => e.type)).toEqual(['RunStarted', 'NodeLog']);
    expect(await b.getRun('r')).toMatchObject({ status: 'running', lastSeq: 2 });
    expect(await b.getWorkflow('w')).toMatchObject({ irHash: 'h' });
    expect(await b.acquireLease('r', 'p2', 1000, 10)).toBe(false);
    expect((await b.pendingCommands('r')).map((c) => c.id)).toEqual([cmd]);
    await b.close();
  });

  it('commits queued appends on close', async () => {
    const home = freshHome();
    const a = SqliteEventStore.open(home);
    const appended = a.append('r', 'ir', 0, [started(1)]);
    await a.close();
    await expect(appended).resolves.toHaveLength(1);
    await expect(a.append('r', 'ir', 1, [log(2)])).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    const b = SqliteEventStore.open(home);
    expect(await b.read('r')).toHaveLength(1);
    await b.close();
  });

  it('detects conflicts between two connections to the same file', async () => {
    const home = freshHome();
    const a = SqliteEventStore.open(home);
    const b = SqliteEventStore.open(home);
    await a.append('r', 'ir', 0, [started(1)]);
    const results = await Promise.allSettled([
      a.append('r', 'ir', 1, [log(2, 'a')]),
      b.append('r', 'ir', 1, [log(2, 'b')]),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await b.read('r')).toHaveLength(2);
    // A lease is one row: the other connection sees it.
    expect(await a.acquireLease('r', 'pa', 1000, 0)).toBe(true);
    expect(await b.acquireLease('r', 'pb', 1000, 0)).toBe(false);
    await a.close();
    await b.close();
  });

  it(
    'keeps seqs dense when 3 processes append to one run at once',
    { timeout: 60_000 },
    async () => {
      const storeModule = transpileStoreSources(join(root, 'build'));
      const home = freshHome();
      const setup = SqliteEventStore.open(home);
      await setup.append('shared', 'ir', 0, [started(1)]);
      await setup.close();

      const worker = fileURLToPath(new URL('./test-support/append-worker.mjs', import.meta.url));
      const startAt = Date.now() + 1500;
      const run = promisify(execFile);
      const outputs = await Promise.all(
        ['w1', 'w2', 'w3'].map((actor) =>
          run(process.execPath, [
            worker,
            storeModule,
            join(home, 'aob.db'),
            'shared',
            '200',
            actor,
            String(startAt),
          ]),
        ),
      );
      const conflicts = outputs.map(
        (o) => (JSON.parse(o.stdout) as { conflicts: number }).conflicts,
      );

      const store = SqliteEventStore.open(home);
      const events = await store.read('shared');
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 601 }, (_, i) => i + 1));
      for (const actor of ['w1', 'w2', 'w3']) {
        expect(events.filter((e) => e.actor === actor)).toHaveLength(200);
      }
      expect(await store.getRun('shared')).toMatchObject({ lastSeq: 601 });
      await store.close();
      // Not asserted (timing-dependent), but shows the processes really contended.
      console.info(`multi-process append conflicts per worker: ${conflicts.join(', ')}`);
    },
  );
});

/**
 * Child processes cannot load TypeScript, so the store's sources are transpiled to JS next to a
 * `node_modules` link to the repository's, where `@aob/core` resolves to its built dist.
 */
function transpileStoreSources(outDir: string): string {
  const srcDir = fileURLToPath(new URL('.', import.meta.url));
  const repoModules = fileURLToPath(new URL('../../../node_modules', import.meta.url));
  if (!existsSync(join(repoModules, '@aob/core/dist/index.js'))) {
    throw new Error('the multi-process test needs @aob/core built: run `npm run build` first');
  }
  mkdirSync(outDir, { recursive: true });
  symlinkSync(repoModules, join(outDir, 'node_modules'), 'dir');
  for (const file of readdirSync(srcDir)) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
    const js = ts.transpileModule(readFileSync(join(srcDir, file), 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    });
    writeFileSync(join(outDir, file.replace(/\.ts$/, '.js')), js.outputText);
  }
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }');
  return pathToFileURL(join(outDir, 'sqlite-events.js')).href;
}
