// The behaviour every NamespaceBudgetStore must show. `make` returns a fresh, empty store.
import { describe, expect, it } from 'vitest';
import type { NamespaceBudgetRecord, NamespaceBudgetStore } from '../port.js';
import { opener } from './fixtures.js';

export function namespaceBudgetConformance(
  name: string,
  make: () => Promise<NamespaceBudgetStore & { close(): Promise<void> }>,
): void {
  describe(`NamespaceBudgetStore conformance: ${name}`, () => {
    const open = opener(make);
    const record = (namespace: string, tokens: number, at: number): NamespaceBudgetRecord => ({
      namespace,
      budget: { tokens, costUsd: 2.5, wallMs: 600_000, nodes: 40, onExceeded: 'cancel' },
      setBy: 'root',
      setAt: at,
    });

    it('sets, replaces, reads back whole and removes a budget per namespace', async () => {
      const s = await open();
      expect(await s.getNamespaceBudget('acme')).toBeUndefined();
      await s.putNamespaceBudget(record('acme', 1000, 1));
      await s.putNamespaceBudget(record('other', 5, 2));
      expect(await s.getNamespaceBudget('acme')).toEqual(record('acme', 1000, 1));
      await s.putNamespaceBudget({
        namespace: 'acme',
        budget: { nodes: 3 },
        setBy: 'ops',
        setAt: 3,
      });
      expect(await s.getNamespaceBudget('acme')).toEqual({
        namespace: 'acme',
        budget: { nodes: 3 },
        setBy: 'ops',
        setAt: 3,
      });
      expect(await s.deleteNamespaceBudget('acme')).toBe(true);
      expect(await s.deleteNamespaceBudget('acme')).toBe(false);
      expect(await s.getNamespaceBudget('acme')).toBeUndefined();
      expect(await s.getNamespaceBudget('other')).toEqual(record('other', 5, 2));
    });
  });
}
