// The behaviour every WorkflowPatchStore must show: records kept exactly, compare-and-set
// decisions. `make` returns a fresh, empty store.
import { describe, expect, it } from 'vitest';
import type { WorkflowPatchRecord, WorkflowPatchStore } from '../port.js';
import { fullPatch, opener, patch } from './fixtures.js';

export function workflowPatchStoreConformance(
  name: string,
  make: () => Promise<WorkflowPatchStore>,
): void {
  describe(`WorkflowPatchStore conformance: ${name}`, () => {
    const open = opener(make);

    describe('workflow patches', () => {
      it('inserts, gets and lists records exactly, optional fields absent or present', async () => {
        const s = await open();
        expect(await s.getWorkflowPatch('p1')).toBeUndefined();
        expect(await s.listWorkflowPatches()).toEqual([]);

        expect(await s.putWorkflowPatch(patch('p1'), null)).toBe(true);
        expect(await s.putWorkflowPatch(fullPatch('p2'), null)).toBe(true);

        const bare = await s.getWorkflowPatch('p1');
        expect(bare).toEqual(patch('p1'));
        for (const key of [
          'version',
          'rationale',
          'reasons',
          'irHash',
          'decidedAt',
          'decidedBy',
          'reason',
        ]) {
          expect(bare).not.toHaveProperty(key);
        }
        expect(await s.getWorkflowPatch('p2')).toEqual(fullPatch('p2'));
        expect(await s.listWorkflowPatches()).toEqual([patch('p1'), fullPatch('p2')]);
        expect(await s.listWorkflowPatches('flow')).toEqual([patch('p1'), fullPatch('p2')]);
        expect(await s.getWorkflowPatch('nope')).toBeUndefined();
      });

      it('does not share the stored record with the caller', async () => {
        const s = await open();
        const record = patch('p1');
        await s.putWorkflowPatch(record, null);
        record.status = 'rejected';
        record.ops.push({ op: 'remove', path: '/nodes/0' });
        const read = await s.getWorkflowPatch('p1');
        expect(read).toEqual(patch('p1'));
        read!.ops.length = 0;
        expect(await s.getWorkflowPatch('p1')).toEqual(patch('p1'));
      });

      it('refuses a second insert of the same id (false, no throw) and keeps the first', async () => {
        const s = await open();
        expect(await s.putWorkflowPatch(patch('p1'), null)).toBe(true);
        expect(await s.putWorkflowPatch({ ...fullPatch('p1', 'other') }, null)).toBe(false);
        expect(await s.getWorkflowPatch('p1')).toEqual(patch('p1'));
        expect(await s.listWorkflowPatches()).toHaveLength(1);
        expect(await s.listWorkflowPatches('other')).toEqual([]);
      });

      it('updates only from the expected status (compare-and-set)', async () => {
        const s = await open();
        await s.putWorkflowPatch(patch('p1'), null);
        const applied: WorkflowPatchRecord = {
          ...patch('p1'),
          status: 'applied',
          version: '3.p1',
          irHash: 'sha256:p1',
          decidedAt: 150,
          decidedBy: 'user:ada',
        };

        // From a wrong status: nothing changes.
        expect(await s.putWorkflowPatch(applied, 'applied')).toBe(false);
        expect(await s.putWorkflowPatch(applied, 'rejected')).toBe(false);
        expect(await s.getWorkflowPatch('p1')).toEqual(patch('p1'));

        expect(await s.putWorkflowPatch(applied, 'held')).toBe(true);
        expect(await s.getWorkflowPatch('p1')).toEqual(applied);

        // The status moved on: a second decider still expecting `held` loses.
        const rejected: WorkflowPatchRecord = { ...patch('p1'), status: 'rejected' };
        expect(await s.putWorkflowPatch(rejected, 'held')).toBe(false);
        expect(await s.getWorkflowPatch('p1')).toEqual(applied);

        // A record updated to fewer optional fields loses the others.
        const reverted: WorkflowPatchRecord = {
          ...patch('p1'),
          status: 'reverted',
          version: '3.p1',
          reason: 'broke prod',
        };
        expect(await s.putWorkflowPatch(reverted, 'applied')).toBe(true);
        const read = await s.getWorkflowPatch('p1');
        expect(read).toEqual(reverted);
        expect(read).not.toHaveProperty('irHash');
        expect(read).not.toHaveProperty('decidedBy');

        // An update of an unknown id writes nothing.
        expect(await s.putWorkflowPatch(patch('ghost'), 'held')).toBe(false);
        expect(await s.getWorkflowPatch('ghost')).toBeUndefined();
      });

      it('lets exactly one of two concurrent deciders from the same status win', async () => {
        const s = await open();
        await s.putWorkflowPatch(patch('p1'), null);
        const applied: WorkflowPatchRecord = { ...patch('p1'), status: 'applied', decidedAt: 1 };
        const rejected: WorkflowPatchRecord = { ...patch('p1'), status: 'rejected', decidedAt: 2 };
        const won = await Promise.all([
          s.putWorkflowPatch(applied, 'held'),
          s.putWorkflowPatch(rejected, 'held'),
        ]);
        expect(won.filter(Boolean)).toHaveLength(1);
        expect(await s.getWorkflowPatch('p1')).toEqual(won[0] ? applied : rejected);
      });

      it('lets exactly one of many concurrent inserts of the same id win', async () => {
        const s = await open();
        const won = await Promise.all(
          [1, 2, 3, 4].map((i) => s.putWorkflowPatch({ ...patch('p1'), proposedAt: i }, null)),
        );
        expect(won.filter(Boolean)).toHaveLength(1);
        const winner = won.indexOf(true) + 1;
        expect((await s.getWorkflowPatch('p1'))?.proposedAt).toBe(winner);
      });

      it("lists a workflow's patches (or all) in insertion order, not by proposedAt", async () => {
        const s = await open();
        // proposedAt runs backwards against insertion: the order must not come from the clock.
        await s.putWorkflowPatch({ ...patch('c', 'flow'), proposedAt: 30 }, null);
        await s.putWorkflowPatch({ ...patch('a', 'other'), proposedAt: 20 }, null);
        await s.putWorkflowPatch({ ...fullPatch('b', 'flow'), proposedAt: 10 }, null);
        await s.putWorkflowPatch({ ...patch('d', 'flow'), proposedAt: 10 }, null);
        // An update keeps its place.
        expect(
          await s.putWorkflowPatch(
            { ...patch('c', 'flow'), status: 'rejected', proposedAt: 30 },
            'held',
          ),
        ).toBe(true);

        const ids = async (w?: string) => (await s.listWorkflowPatches(w)).map((p) => p.patchId);
        expect(await ids()).toEqual(['c', 'a', 'b', 'd']);
        expect(await ids('flow')).toEqual(['c', 'b', 'd']);
        expect(await ids('other')).toEqual(['a']);
        expect(await ids('none')).toEqual([]);
        expect((await s.listWorkflowPatches('flow'))[0]?.status).toBe('rejected');
        expect((await s.listWorkflowPatches('flow'))[1]).toEqual({
          ...fullPatch('b', 'flow'),
          proposedAt: 10,
        });
      });
    });
  });
}
