// The hostile corpus (scripts/fuzz/corpus.ts) through `aob run start` on the local store: each
// definition is refused with exit 2 naming its code and nothing stored (no run file, no row in
// any table of aob.db, no content object), or runs and fails with its code (exit 1), or completes
// unharmed (exit 0); in bounded time (killed at 25 s) and memory (peak RSS read from /proc).
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE_CASES, describeExpectation } from '../../scripts/fuzz/corpus.js';
import { aob, start, tempHome } from './helpers.js';

const SECONDS = 20;
const PEAK_MB = 600;

let home: string;
let cleanup: () => void;
beforeAll(async () => {
  ({ home, cleanup } = tempHome());
  // One run first, so the store exists and a refusal is compared with a store in use.
  const file = join(home, 'first.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'first',
      version: '1',
      nodes: [{ id: 't', type: 'transform', with: { value: '{% 1 %}' } }],
    }),
  );
  const r = await aob(['run', 'start', file, '--json'], { AOB_HOME: home });
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => cleanup());

/** The child's peak resident memory (VmHWM), read until it exits. */
function peakMemoryMb(pid: number, done: Promise<unknown>): Promise<number> {
  let peak = 0;
  const read = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch {
      // exited between two reads
    }
  };
  const timer = setInterval(read, 25);
  return done.then(() => {
    clearInterval(timer);
    return Math.round(peak);
  });
}

function files(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile())
    .length;
}

/** What is stored: run files, rows per table of aob.db, content objects. */
function stored(): Record<string, number> {
  const counts: Record<string, number> = { runFiles: files(join(home, 'runs')) };
  counts['contentObjects'] = files(join(home, 'cas'));
  const db = new Database(join(home, 'aob.db'), { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as { name: string }[];
    for (const { name } of tables) {
      const row = db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number };
      counts[`rows:${name}`] = row.n;
    }
  } finally {
    db.close();
  }
  return counts;
}

describe('aob run start with hostile definitions', () => {
  for (const [i, c] of HOSTILE_CASES.entries()) {
    const expected = c.cli ?? c.expect;
    it(`${c.name}: ${describeExpectation(expected)}`, async () => {
      const file = join(home, `case-${i}.json`);
      writeFileSync(file, c.definition);
      const args = ['run', 'start', file, '--json'];
      if (c.inputs !== undefined) {
        writeFileSync(`${file}.inputs`, c.inputs);
        args.push('--inputs', `${file}.inputs`);
      }
      const before = stored();
      const t0 = Date.now();
      const run = start(args, { AOB_HOME: home });
      const kill = setTimeout(() => run.child.kill('SIGKILL'), 25_000);
      const [r, peakMb] = await Promise.all([run.done, peakMemoryMb(run.child.pid!, run.done)]);
      clearTimeout(kill);
      const seconds = (Date.now() - t0) / 1000;
      const output = `exit ${r.code} ${r.signal ?? ''}\n${r.stdout.slice(0, 2_000)}\n${r.stderr.slice(0, 2_000)}`;
      expect(r.signal, `killed after ${seconds} s: ${output}`).toBeNull();
      expect(seconds, 'took too long').toBeLessThan(SECONDS);
      expect(peakMb, 'peak memory (MB)').toBeLessThan(PEAK_MB);
      if ('refused' in expected) {
        expect(r.code, output).toBe(2);
        expect(r.stdout + r.stderr).toContain(expected.refused);
        expect(stored(), 'a refused definition left something stored').toEqual(before);
      } else {
        const view = JSON.parse(r.stdout) as { status: string; error?: { code: string } };
        if ('failsWith' in expected) {
          expect(r.code, output).toBe(1);
          expect(view.status).toBe('failed');
          expect(view.error?.code).toBe(expected.failsWith);
        } else {
          expect(r.code, output).toBe(0);
          expect(view.status).toBe('completed');
        }
      }
    }, 30_000);
  }
});
