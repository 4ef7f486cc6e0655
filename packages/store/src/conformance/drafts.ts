// The behaviour every DraftStore must show. `make` returns a fresh, empty store.
import { describe, expect, it } from 'vitest';
import type { DraftChangeRecord, DraftRecord, DraftStore } from '../port.js';
import { opener } from './fixtures.js';

export function draftStoreConformance(
  name: string,
  make: () => Promise<DraftStore & { close(): Promise<void> }>,
): void {
  describe(`DraftStore conformance: ${name}`, () => {
    const open = opener(make);
    const definition = {
      name: 'flow',
      version: '1',
      nodes: [{ id: 'a', type: 'transform', with: { value: 'ünï ☃ "quoted"', zeta: 1, alpha: 2 } }],
    };
    const draft = (draftId: string, namespace = 'acme', at = 100): DraftRecord => ({
      draftId,
      namespace,
      title: 'A flow — drawn',
      base: { name: 'flow', version: '1' },
      definition: structuredClone(definition),
      revision: 0,
      createdBy: 'ada',
      createdAt: at,
      updatedAt: at,
      commits: [],
    });
    const change = (seq: number, by = 'ada', at = 200 + seq): DraftChangeRecord => ({
      seq,
      kind: 'change',
      by,
      at,
      ops: [{ op: 'add', path: '/nodes/-', value: { id: `n${seq}`, type: 'transform' } }],
      inverse: [{ op: 'remove', path: `/nodes/${seq}` }],
    });
    const withNode = (n: number) => ({
      ...definition,
      nodes: [
        ...definition.nodes,
        ...Array.from({ length: n }, (_, i) => ({ id: `n${i + 1}`, type: 'transform' })),
      ],
    });

    it('creates a draft once and reads it back whole, with its key order', async () => {
      const s = await open();
      expect(await s.getDraft('drf_1')).toBeUndefined();
      expect(await s.createDraft(draft('drf_1'))).toBe(true);
      expect(await s.createDraft({ ...draft('drf_1'), title: 'other' })).toBe(false);
      const got = await s.getDraft('drf_1');
      expect(got).toEqual(draft('drf_1'));
      expect(JSON.stringify(got!.definition)).toBe(JSON.stringify(definition));
      const bare: DraftRecord = {
        draftId: 'drf_2',
        namespace: 'acme',
        definition: { name: 'untitled', version: '1', nodes: [] },
        revision: 0,
        createdBy: 'bob',
        createdAt: 1,
        updatedAt: 1,
        commits: [],
      };
      await s.createDraft(bare);
      expect(await s.getDraft('drf_2')).toEqual(bare);
    });

    it("lists a namespace's drafts, newest first, paged", async () => {
      const s = await open();
      for (const [id, ns] of [
        ['drf_a', 'acme'],
        ['drf_b', 'beta'],
        ['drf_c', 'acme'],
        ['drf_d', 'acme'],
      ] as const) {
        await s.createDraft(draft(id, ns));
      }
      const ids = (rs: DraftRecord[]) => rs.map((r) => r.draftId);
      expect(ids(await s.listDrafts('acme'))).toEqual(['drf_d', 'drf_c', 'drf_a']);
      expect(ids(await s.listDrafts('acme', { limit: 2 }))).toEqual(['drf_d', 'drf_c']);
      expect(ids(await s.listDrafts('acme', { offset: 2, limit: 2 }))).toEqual(['drf_a']);
      expect(ids(await s.listDrafts('beta'))).toEqual(['drf_b']);
      expect(await s.listDrafts('gamma')).toEqual([]);
    });

    it('appends changes only on the expected revision, in order, with the draft moving along', async () => {
      const s = await open();
      await s.createDraft(draft('drf_1'));
      expect(await s.appendDraftChange('drf_1', change(1), withNode(1), 1, 0)).toBe(true);
      // A writer that read revision 0 too loses: nothing is written.
      expect(await s.appendDraftChange('drf_1', change(1, 'bob'), withNode(1), 1, 0)).toBe(false);
      expect(await s.appendDraftChange('drf_1', change(2), withNode(2), 2, 1)).toBe(true);
      expect(await s.appendDraftChange('drf_none', change(1), withNode(1), 1, 0)).toBe(false);
      const got = await s.getDraft('drf_1');
      expect(got).toEqual({
        ...draft('drf_1'),
        definition: withNode(2),
        revision: 2,
        updatedAt: 202,
        lastChange: { seq: 2, by: 'ada', kind: 'change', at: 202 },
      });
      expect(await s.draftChanges('drf_1', 0, 100)).toEqual([change(1), change(2)]);
      expect(await s.draftChanges('drf_1', 1, 100)).toEqual([change(2)]);
      expect(await s.draftChanges('drf_1', 0, 1)).toEqual([change(1)]);
      expect(await s.draftChanges('drf_1', 2, 100)).toEqual([]);
      expect(await s.draftChanges('drf_none', 0, 100)).toEqual([]);
      const undo: DraftChangeRecord = {
        seq: 3,
        kind: 'undo',
        by: 'bob (planner)',
        at: 300,
        ops: [{ op: 'remove', path: '/nodes/2' }],
        inverse: [{ op: 'add', path: '/nodes/2', value: { id: 'n2', type: 'transform' } }],
        undoes: 2,
      };
      expect(await s.appendDraftChange('drf_1', undo, withNode(1), 3, 2)).toBe(true);
      expect((await s.draftChanges('drf_1', 2, 10))[0]).toEqual(undo);
      expect((await s.getDraft('drf_1'))?.lastChange).toEqual({
        seq: 3,
        by: 'bob (planner)',
        kind: 'undo',
        at: 300,
      });
    });

    it('lets exactly one of concurrent writers on the same revision through', async () => {
      const s = await open();
      await s.createDraft(draft('drf_1'));
      const outcomes = await Promise.all(
        ['ada', 'bob', 'eve', 'joe'].map((by) =>
          s.appendDraftChange('drf_1', change(1, by), withNode(1), 1, 0),
        ),
      );
      expect(outcomes.filter(Boolean)).toHaveLength(1);
      expect(await s.draftChanges('drf_1', 0, 10)).toHaveLength(1);
      expect((await s.getDraft('drf_1'))?.revision).toBe(1);
    });

    it('sets the focus and records commits without moving the revision', async () => {
      const s = await open();
      await s.createDraft(draft('drf_1'));
      expect(await s.setDraftFocus('drf_1', { nodes: ['a'], by: 'ada', at: 500 })).toBe(true);
      expect(await s.setDraftFocus('drf_1', { nodes: ['a', 'b'], by: 'bob', at: 501 })).toBe(true);
      expect(await s.setDraftFocus('drf_none', { nodes: [], by: 'bob', at: 1 })).toBe(false);
      const first = { as: 'version' as const, by: 'ada', at: 600, revision: 0, workflow: 'flow@1' };
      const second = {
        as: 'patch' as const,
        by: 'bob',
        at: 601,
        revision: 0,
        runId: 'run_1',
        patchId: 'pch_1',
        status: 'applied',
      };
      expect(await s.addDraftCommit('drf_1', first)).toBe(true);
      expect(await s.addDraftCommit('drf_1', second)).toBe(true);
      expect(await s.addDraftCommit('drf_none', first)).toBe(false);
      expect(await s.getDraft('drf_1')).toEqual({
        ...draft('drf_1'),
        focus: { nodes: ['a', 'b'], by: 'bob', at: 501 },
        commits: [first, second],
        updatedAt: 601,
      });
    });

    it('deletes a draft with its changes', async () => {
      const s = await open();
      await s.createDraft(draft('drf_1'));
      await s.createDraft(draft('drf_2'));
      await s.appendDraftChange('drf_1', change(1), withNode(1), 1, 0);
      expect(await s.deleteDraft('drf_1')).toBe(true);
      expect(await s.deleteDraft('drf_1')).toBe(false);
      expect(await s.getDraft('drf_1')).toBeUndefined();
      expect(await s.draftChanges('drf_1', 0, 10)).toEqual([]);
      expect((await s.listDrafts('acme')).map((d) => d.draftId)).toEqual(['drf_2']);
      // The id is free again; the new draft starts with no changes.
      expect(await s.createDraft(draft('drf_1'))).toBe(true);
      expect(await s.draftChanges('drf_1', 0, 10)).toEqual([]);
    });

    it('hands out copies: changing what it returned or was given changes nothing stored', async () => {
      const s = await open();
      const given = draft('drf_1');
      await s.createDraft(given);
      (given.definition as { name: string }).name = 'mutated';
      given.commits.push({ as: 'version', by: 'x', at: 1, revision: 0 });
      const got = await s.getDraft('drf_1');
      (got!.definition as { nodes: unknown[] }).nodes.push({ id: 'z' });
      got!.commits.push({ as: 'version', by: 'x', at: 1, revision: 0 });
      const again = await s.getDraft('drf_1');
      expect((again!.definition as { name: string; nodes: unknown[] }).name).toBe('flow');
      expect((again!.definition as { nodes: unknown[] }).nodes).toHaveLength(1);
      expect(again!.commits).toEqual([]);
    });
  });
}
