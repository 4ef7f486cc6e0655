// The behaviour every AttemptLedger adapter must show. `make` returns a fresh, empty ledger
// whose clock is `now` (adapters that take one).
import { afterEach, describe, expect, it } from 'vitest';
import type { AttemptKey, AttemptLedger } from '../attempts.js';

export function attemptLedgerConformance(
  name: string,
  make: (now: () => number) => Promise<AttemptLedger>,
): void {
  describe(`AttemptLedger conformance: ${name}`, () => {
    const opened: AttemptLedger[] = [];
    let clock = 1_000_000;
    const open = async (): Promise<AttemptLedger> => {
      const ledger = await make(() => clock);
      opened.push(ledger);
      return ledger;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((l) => l.close()));
    });
    let n = 0;
    const key = (over: Partial<AttemptKey> = {}): AttemptKey => ({
      runId: `run_${Date.now().toString(36)}_${++n}`,
      nodeId: 'node a/ü?',
      attempt: 1,
      ...over,
    });

    it('gives an attempt to one claimer; another is told who holds it', async () => {
      const l = await open();
      const k = key();
      expect(await l.claim(k, 'r1', 10_000)).toEqual({ kind: 'claimed' });
      expect(await l.claim(k, 'r2', 10_000)).toEqual({ kind: 'busy', owners: ['r1'] });
      // The holder claiming again keeps it (a renewal).
      expect(await l.claim(k, 'r1', 10_000)).toEqual({ kind: 'claimed' });
    });

    it('keys attempts apart: other attempt, item or node', async () => {
      const l = await open();
      const k = key({ iteration: 0 });
      expect(await l.claim(k, 'r1', 10_000)).toEqual({ kind: 'claimed' });
      for (const other of [
        { ...k, attempt: 2 },
        { ...k, iteration: 1 },
        { ...k, iteration: undefined },
        { ...k, nodeId: 'node b' },
      ]) {
        expect(await l.claim(other, 'r2', 10_000)).toEqual({ kind: 'claimed' });
      }
    });

    it('answers the recorded outcome once the attempt finished, to every later claimer', async () => {
      const l = await open();
      const k = key();
      await l.claim(k, 'r1', 10_000);
      const outcome = { kind: 'succeeded', output: { $cas: 'sha256:00', size: 1 } };
      await l.finish(k, 'r1', outcome);
      expect(await l.claim(k, 'r2', 10_000)).toEqual({ kind: 'finished', outcome });
      expect(await l.claim(k, 'r1', 10_000)).toEqual({ kind: 'finished', outcome });
    });

    it('keys a resumed run of an attempt apart from the attempt and from other resumes', async () => {
      const l = await open();
      const k = key();
      await l.claim(k, 'r1', 10_000);
      const suspended = { kind: 'suspended', state: { $cas: 'sha256:01', size: 1 } };
      await l.finish(k, 'r1', suspended);
      // The job sent again once answered: same attempt, its own entry.
      const resumed = { ...k, resume: 'qst_1/ä' };
      expect(await l.claim(resumed, 'r2', 10_000)).toEqual({ kind: 'claimed' });
      expect(await l.claim({ ...k, resume: 'qst_2' }, 'r3', 10_000)).toEqual({ kind: 'claimed' });
      const done = { kind: 'succeeded', output: { $cas: 'sha256:02', size: 1 } };
      await l.finish(resumed, 'r2', done);
      expect(await l.claim(k, 'r4', 10_000)).toEqual({ kind: 'finished', outcome: suspended });
      expect(await l.claim(resumed, 'r4', 10_000)).toEqual({ kind: 'finished', outcome: done });
    });

    it('lets a claim lapse when its owner stops renewing it, and renewals keep it', async () => {
      const l = await open();
      const k = key();
      await l.claim(k, 'r1', 10_000);
      clock += 8_000;
      await l.renew(k, 'r1', 10_000);
      clock += 8_000;
      expect((await l.claim(k, 'r2', 10_000)).kind).toBe('busy');
      clock += 2_001;
      expect(await l.claim(k, 'r2', 10_000)).toEqual({ kind: 'claimed' });
    });

    it('makes a released attempt claimable at once', async () => {
      const l = await open();
      const k = key();
      await l.claim(k, 'r1', 10_000);
      await l.release(k, 'r1');
      expect(await l.claim(k, 'r2', 10_000)).toEqual({ kind: 'claimed' });
    });

    it('a withdrawn busy claimer does not block the holder', async () => {
      const l = await open();
      const k = key();
      await l.claim(k, 'r1', 10_000);
      expect((await l.claim(k, 'r2', 10_000)).kind).toBe('busy');
      await l.release(k, 'r1');
      // r2 withdrew its claim when told busy: r3 is not blocked by it.
      expect(await l.claim(k, 'r3', 10_000)).toEqual({ kind: 'claimed' });
    });

    it('never lets a waiting claimer run an attempt its holder finishes meanwhile', async () => {
      // The moment a runner that waits on another (a rebalance moved the job) looks while the
      // holder records its outcome: the claim it listed may be gone when it reads it.
      const l = await open();
      const duplicates: string[] = [];
      for (let round = 0; round < 40; round++) {
        const k = key();
        expect(await l.claim(k, 'holder', 10_000)).toEqual({ kind: 'claimed' });
        const waiters = ['w1', 'w2'].map(async (w) => {
          for (let i = 0; i < 40; i++) {
            const answer = await l.claim(k, `${w}#${i}`, 10_000);
            if (answer.kind === 'claimed') return duplicates.push(`${k.runId} ${w}`);
            if (answer.kind === 'finished') return;
            await new Promise((r) => setTimeout(r, Math.random() * 10));
          }
          return undefined;
        });
        await new Promise((r) => setTimeout(r, Math.random() * 20));
        await l.finish(k, 'holder', { round });
        await Promise.all(waiters);
      }
      expect(duplicates).toEqual([]);
    });

    it('never lets two of many concurrent claimers go ahead', async () => {
      const l = await open();
      for (let round = 0; round < 5; round++) {
        const k = key();
        const answers = await Promise.all(
          Array.from({ length: 6 }, (_, i) => l.claim(k, `r${i}`, 10_000)),
        );
        expect(answers.filter((a) => a.kind === 'claimed').length).toBeLessThanOrEqual(1);
      }
    });
  });
}
