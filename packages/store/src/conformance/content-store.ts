// The behaviour every ContentStore adapter must show. `make` returns a fresh, empty store.
import { afterEach, describe, expect, it } from 'vitest';
import { refOf } from '@aob/core';
import type { CasRef } from '@aob/core';
import type { ContentStore } from '../port.js';

export function contentStoreConformance(name: string, make: () => Promise<ContentStore>): void {
  describe(`ContentStore conformance: ${name}`, () => {
    const opened: ContentStore[] = [];
    const open = async (): Promise<ContentStore> => {
      const store = await make();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    it('round-trips JSON values under the ref of their canonical bytes', async () => {
      const s = await open();
      const values: unknown[] = [
        { a: 1, b: [true, null, 'x'], c: { d: -2.5 } },
        [1, 2, 3],
        'a string with ünïcödé 😀 and "quotes"',
        42,
        0,
        null,
        false,
        {},
        [],
      ];
      for (const v of values) {
        const ref = await s.put(v);
        expect(ref).toEqual(refOf(v));
        expect(ref.$cas).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(await s.get(ref)).toEqual(v);
      }
    });

    it('gives the same ref for the same value whatever its key order', async () => {
      const s = await open();
      const r1 = await s.put({ b: 2, a: { y: [1, { q: 1, p: 2 }], x: 'z' } });
      const r2 = await s.put({ a: { x: 'z', y: [1, { p: 2, q: 1 }] }, b: 2 });
      expect(r2).toEqual(r1);
      expect(await s.put({ a: 1 })).not.toEqual(await s.put({ a: 2 }));
    });

    it('tells whether it has a ref', async () => {
      const s = await open();
      const ref = await s.put({ hello: 'world' });
      expect(await s.has(ref)).toBe(true);
      expect(await s.has(refOf({ hello: 'mars' }))).toBe(false);
    });

    it('throws CONTENT_MISSING for a missing ref', async () => {
      const s = await open();
      const missing: CasRef = refOf({ never: 'stored' });
      await expect(s.get(missing)).rejects.toMatchObject({ code: 'CONTENT_MISSING' });
    });

    it('stores what the value was at put time, and hands each reader its own copy', async () => {
      const s = await open();
      const value = { list: [1, 2] };
      const ref = await s.put(value);
      value.list.push(3);
      const first = (await s.get(ref)) as { list: number[] };
      expect(first).toEqual({ list: [1, 2] });
      first.list.push(4);
      expect(await s.get(ref)).toEqual({ list: [1, 2] });
    });

    it('handles big values (1 MB)', async () => {
      const s = await open();
      const big = {
        blob: 'x'.repeat(1024 * 1024),
        rows: Array.from({ length: 1000 }, (_, i) => ({ i })),
      };
      const ref = await s.put(big);
      expect(ref.size).toBeGreaterThan(1024 * 1024);
      expect(await s.get(ref)).toEqual(big);
    });

    it('accepts concurrent puts of the same value', async () => {
      const s = await open();
      const value = { same: 'value', n: [1, 2, 3] };
      const refs = await Promise.all(Array.from({ length: 20 }, () => s.put(value)));
      for (const r of refs) expect(r).toEqual(refs[0]);
      expect(await s.get(refs[0] as CasRef)).toEqual(value);
    });
  });
}
