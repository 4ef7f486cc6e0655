// The behaviour every WorkflowRegistry must show: versions, the latest, retirement, and a
// registered version meaning one graph. `make` returns a fresh, empty store.
import { describe, expect, it } from 'vitest';
import type { WorkflowRegistry } from '../port.js';
import { codeOf, opener } from './fixtures.js';

export function workflowRegistryConformance(
  name: string,
  make: () => Promise<WorkflowRegistry>,
): void {
  describe(`WorkflowRegistry conformance: ${name}`, () => {
    const open = opener(make);

    describe('workflows', () => {
      it('puts, gets by version, gets the latest registered, and lists', async () => {
        const s = await open();
        expect(await s.getWorkflow('flow')).toBeUndefined();
        await s.putWorkflow({ name: 'flow', version: '1.0.0', irHash: 'h1', registeredAt: 10 });
        await s.putWorkflow({ name: 'flow', version: '2.0.0', irHash: 'h2', registeredAt: 20 });
        await s.putWorkflow({ name: 'flow', version: '1.5.0', irHash: 'h15', registeredAt: 30 });
        await s.putWorkflow({ name: 'other', version: '0.1.0', irHash: 'o1', registeredAt: 5 });

        expect(await s.getWorkflow('flow', '2.0.0')).toEqual({
          name: 'flow',
          version: '2.0.0',
          irHash: 'h2',
          registeredAt: 20,
        });
        // The most recently registered, not the highest version.
        expect((await s.getWorkflow('flow'))?.version).toBe('1.5.0');
        expect(await s.getWorkflow('flow', '9.9.9')).toBeUndefined();
        expect(await s.getWorkflow('missing')).toBeUndefined();

        const all = await s.listWorkflows();
        expect(all).toHaveLength(4);
        expect(all.map((w) => `${w.name}@${w.version}`).sort()).toEqual([
          'flow@1.0.0',
          'flow@1.5.0',
          'flow@2.0.0',
          'other@0.1.0',
        ]);

        // Registering a version again with the same graph is a no-op that moves its time…
        await s.putWorkflow({ name: 'flow', version: '1.0.0', irHash: 'h1', registeredAt: 40 });
        expect(await s.getWorkflow('flow')).toEqual({
          name: 'flow',
          version: '1.0.0',
          irHash: 'h1',
          registeredAt: 40,
        });
        // …with another graph it is refused: a registered version means one graph.
        expect(
          await codeOf(
            s.putWorkflow({ name: 'flow', version: '1.0.0', irHash: 'h1b', registeredAt: 50 }),
          ),
        ).toBe('WORKFLOW_EXISTS');
        expect((await s.getWorkflow('flow', '1.0.0'))?.irHash).toBe('h1');
        expect(await s.listWorkflows()).toHaveLength(4);
      });
    });

    describe('retired workflow versions', () => {
      it('hides a retired version from the latest, not from get by version or the list', async () => {
        const s = await open();
        await s.putWorkflow({ name: 'flow', version: '3', irHash: 'h3', registeredAt: 10 });
        await s.putWorkflow({ name: 'flow', version: '3.p1', irHash: 'hp1', registeredAt: 20 });
        await s.putWorkflow({ name: 'flow', version: '3.p2', irHash: 'hp2', registeredAt: 20 });
        expect((await s.getWorkflow('flow'))?.version).toBe('3.p2');
        expect(await s.getWorkflow('flow', '3.p2')).not.toHaveProperty('retiredAt');

        expect(await s.retireWorkflow('flow', '3.p2', 30)).toBe(true);
        // Same registeredAt: the one registered before it is the latest now.
        expect(await s.getWorkflow('flow')).toEqual({
          name: 'flow',
          version: '3.p1',
          irHash: 'hp1',
          registeredAt: 20,
        });
        expect(await s.getWorkflow('flow', '3.p2')).toEqual({
          name: 'flow',
          version: '3.p2',
          irHash: 'hp2',
          registeredAt: 20,
          retiredAt: 30,
        });
        expect(await s.retireWorkflow('flow', '3.p1', 31)).toBe(true);
        expect((await s.getWorkflow('flow'))?.version).toBe('3');

        const all = await s.listWorkflows();
        expect(all.map((w) => [w.version, w.retiredAt])).toEqual([
          ['3', undefined],
          ['3.p1', 31],
          ['3.p2', 30],
        ]);
        expect(all[0]).not.toHaveProperty('retiredAt');

        // Every version retired: there is no latest, but each is still readable by version.
        expect(await s.retireWorkflow('flow', '3', 32)).toBe(true);
        expect(await s.getWorkflow('flow')).toBeUndefined();
        expect((await s.getWorkflow('flow', '3'))?.retiredAt).toBe(32);
      });

      it('is false for an unknown version or workflow, changing nothing', async () => {
        const s = await open();
        await s.putWorkflow({ name: 'flow', version: '1', irHash: 'h1', registeredAt: 10 });
        expect(await s.retireWorkflow('flow', '2', 30)).toBe(false);
        expect(await s.retireWorkflow('other', '1', 30)).toBe(false);
        expect(await s.listWorkflows()).toEqual([
          { name: 'flow', version: '1', irHash: 'h1', registeredAt: 10 },
        ]);
      });

      it('un-retires a version registered again (in place, keeping its registration order)', async () => {
        const s = await open();
        await s.putWorkflow({ name: 'flow', version: '1', irHash: 'h1', registeredAt: 10 });
        await s.putWorkflow({ name: 'flow', version: '2', irHash: 'h2', registeredAt: 10 });
        expect(await s.retireWorkflow('flow', '2', 20)).toBe(true);
        expect((await s.getWorkflow('flow'))?.version).toBe('1');

        await s.putWorkflow({ name: 'flow', version: '2', irHash: 'h2', registeredAt: 10 });
        expect(await s.getWorkflow('flow', '2')).toEqual({
          name: 'flow',
          version: '2',
          irHash: 'h2',
          registeredAt: 10,
        });
        expect((await s.getWorkflow('flow'))?.version).toBe('2');

        // A put always registers the version as not retired, whatever the record says.
        await s.putWorkflow({
          name: 'flow',
          version: '3',
          irHash: 'h3',
          registeredAt: 5,
          retiredAt: 7,
        });
        expect(await s.getWorkflow('flow', '3')).not.toHaveProperty('retiredAt');
        expect((await s.listWorkflows()).every((w) => w.retiredAt === undefined)).toBe(true);
      });
    });
  });
}
