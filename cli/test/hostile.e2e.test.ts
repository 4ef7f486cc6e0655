// The hostile corpus (scripts/fuzz/corpus.ts) through `aob run start` on the local store: each
// definition is refused with its code and nothing stored, or runs and fails with its code, in
// bounded time and memory.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE_CASES } from '../../scripts/fuzz/corpus.js';
import { start, tempHome } from './helpers.js';

let home: string;
let cleanup: () => void;
beforeAll(() => ({ home, cleanup } = tempHome()));
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

const runsStored = () => {
  try {
    return readdirSync(join(home, 'runs')).length;
  } catch {
    return 0;
  }
};

describe('aob run start with hostile definitions', () => {
  for (const [i, c] of HOSTILE_CASES.entries()) {
    it(`${c.name}: ${'refused' in c.expect ? `refused with ${c.expect.refused}` : `fails with ${c.expect.failsWith}`}`, async () => {
      const file = join(home, `case-${i}.json`);
      writeFileSync(file, c.definition);
      const args = ['run', 'start', file, '--json'];
      if (c.inputs !== undefined) {
        writeFileSync(`${file}.inputs`, c.inputs);
        args.push('--inputs', `${file}.inputs`);
      }
      const before = runsStored();
      const t0 = Date.now();
      const run = start(args, { AOB_HOME: home });
      const [r, peakMb] = await Promise.all([run.done, peakMemoryMb(run.child.pid!, run.done)]);
      const seconds = (Date.now() - t0) / 1000;
      expect(seconds, 'took too long').toBeLessThan(20);
      expect(peakMb, 'peak memory (MB)').toBeLessThan(600);
      if ('refused' in c.expect) {
        expect(r.code, r.stdout + r.stderr).toBe(2);
        expect(r.stdout + r.stderr).toContain(c.expect.refused);
        expect(runsStored(), 'a refused definition left a run behind').toBe(before);
      } else {
        expect(r.code, r.stdout + r.stderr).toBe(1);
        const view = JSON.parse(r.stdout) as { status: string; error?: { code: string } };
        expect(view.status).toBe('failed');
        expect(view.error?.code).toBe(c.expect.failsWith);
      }
    }, 30_000);
  }
});
