// The behaviour of the local topology's leases and inbox (LeaseInboxStore): one process drives a
// run, others hand it commands. `make` returns a fresh, empty store.
import { describe, expect, it } from 'vitest';
import type { LeaseInboxStore } from '../port.js';
import { opener } from './fixtures.js';

export function leaseInboxConformance(name: string, make: () => Promise<LeaseInboxStore>): void {
  describe(`LeaseInboxStore conformance: ${name}`, () => {
    const open = opener(make);

    describe('leases', () => {
      it('acquires, renews for the same owner, refuses others until expiry, releases', async () => {
        const s = await open();
        expect(await s.getLease('r')).toBeUndefined();
        expect(await s.acquireLease('r', 'p1', 1000, 0)).toBe(true);
        expect(await s.getLease('r')).toEqual({ runId: 'r', owner: 'p1', expiresAt: 1000 });

        expect(await s.acquireLease('r', 'p2', 1000, 500)).toBe(false);
        expect(await s.acquireLease('r', 'p1', 1000, 600)).toBe(true); // renewal
        expect(await s.getLease('r')).toEqual({ runId: 'r', owner: 'p1', expiresAt: 1600 });
        expect(await s.acquireLease('r', 'p2', 1000, 1599)).toBe(false);

        // Expired: anyone may take it.
        expect(await s.acquireLease('r', 'p2', 1000, 1600)).toBe(true);
        expect(await s.getLease('r')).toEqual({ runId: 'r', owner: 'p2', expiresAt: 2600 });

        // Only the owner can release.
        await s.releaseLease('r', 'p1');
        expect((await s.getLease('r'))?.owner).toBe('p2');
        await s.releaseLease('r', 'p2');
        expect(await s.getLease('r')).toBeUndefined();
        expect(await s.acquireLease('r', 'p3', 10, 2000)).toBe(true);
      });

      it('takes over a lease from the holder named, expired or not, and from no one else', async () => {
        const s = await open();
        expect(await s.acquireLease('r', 'p1', 1000, 0)).toBe(true);
        expect(await s.takeOverLease('r', 'p2', 'p3', 1000, 10)).toBe(false);
        expect((await s.getLease('r'))?.owner).toBe('p1');
        expect(await s.takeOverLease('r', 'p1', 'p2', 1000, 10)).toBe(true);
        expect(await s.getLease('r')).toEqual({ runId: 'r', owner: 'p2', expiresAt: 1010 });
        // p1 is no longer the holder: a second taker that also found p1 gone loses.
        expect(await s.takeOverLease('r', 'p1', 'p3', 1000, 20)).toBe(false);
        expect(await s.acquireLease('r', 'p1', 1000, 30)).toBe(false);
        expect(await s.takeOverLease('none', 'p1', 'p2', 1000, 0)).toBe(false);
        expect(await s.getLease('none')).toBeUndefined();
      });

      it('renews every lease of one owner at once, and no one else’s', async () => {
        const s = await open();
        expect(await s.acquireLease('a', 'p1', 100, 0)).toBe(true);
        expect(await s.acquireLease('b', 'p1', 100, 0)).toBe(true);
        expect(await s.acquireLease('c', 'p2', 100, 0)).toBe(true);
        await s.renewLeases('p1', 100, 90);
        expect((await s.getLease('a'))?.expiresAt).toBe(190);
        expect((await s.getLease('b'))?.expiresAt).toBe(190);
        expect((await s.getLease('c'))?.expiresAt).toBe(100);
        expect(await s.acquireLease('a', 'p2', 100, 150)).toBe(false);
        expect(await s.acquireLease('c', 'p1', 100, 150)).toBe(true);
      });

      it('keeps leases per run', async () => {
        const s = await open();
        expect(await s.acquireLease('a', 'p1', 100, 0)).toBe(true);
        expect(await s.acquireLease('b', 'p2', 100, 0)).toBe(true);
        expect(await s.acquireLease('a', 'p2', 100, 50)).toBe(false);
      });

      it('grants a contested free lease to exactly one owner', async () => {
        const s = await open();
        const won = await Promise.all(
          ['p1', 'p2', 'p3', 'p4'].map((o) => s.acquireLease('r', o, 1000, 0)),
        );
        expect(won.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('inbox', () => {
      it('returns pending commands oldest first and forgets completed ones', async () => {
        const s = await open();
        const a = await s.enqueueCommand('r', 'approve', { ticketId: 't1', by: 'ada' }, 10);
        const b = await s.enqueueCommand('r', 'cancel', { reason: 'enough' }, 20);
        const other = await s.enqueueCommand('q', 'cancel', null, 15);
        const c = await s.enqueueCommand(
          'r',
          'approve',
          { ticketId: 't2', nested: [1, { x: 'ü' }] },
          30,
        );
        expect(new Set([a, b, c, other]).size).toBe(4);
        expect(a < b && b < c).toBe(true);

        expect(await s.pendingCommands('r')).toEqual([
          { id: a, runId: 'r', type: 'approve', payload: { ticketId: 't1', by: 'ada' }, at: 10 },
          { id: b, runId: 'r', type: 'cancel', payload: { reason: 'enough' }, at: 20 },
          {
            id: c,
            runId: 'r',
            type: 'approve',
            payload: { ticketId: 't2', nested: [1, { x: 'ü' }] },
            at: 30,
          },
        ]);
        await s.completeCommands([a, c]);
        expect((await s.pendingCommands('r')).map((x) => x.id)).toEqual([b]);
        expect((await s.pendingCommands('q')).map((x) => x.id)).toEqual([other]);
        expect((await s.pendingCommands()).map((x) => [x.id, x.runId])).toEqual([
          [b, 'r'],
          [other, 'q'],
        ]);
        await s.completeCommands([]);
        await s.completeCommands([b, b, 987654]);
        expect(await s.pendingCommands('r')).toEqual([]);
        expect(await s.pendingCommands('none')).toEqual([]);
        const d = await s.enqueueCommand('r', 'cancel', undefined, 40);
        expect(d > c).toBe(true);
        expect(await s.pendingCommands('r')).toEqual([
          { id: d, runId: 'r', type: 'cancel', payload: null, at: 40 },
        ]);
      });
    });
  });
}
