// The behaviour every TokenStore must show. `make` returns a fresh, empty store.
import { describe, expect, it } from 'vitest';
import type { TokenRecord, TokenStore } from '../port.js';
import { opener } from './fixtures.js';

export function tokenStoreConformance(name: string, make: () => Promise<TokenStore>): void {
  describe(`TokenStore conformance: ${name}`, () => {
    const open = opener(make);

    describe('API tokens', () => {
      const token = (id: string, hash: string, namespace: string, at: number): TokenRecord => ({
        tokenId: id,
        hash,
        subject: `user-${id}`,
        role: 'operator',
        namespace,
        groups: ['finance', 'ops'],
        createdAt: at,
        createdBy: 'bootstrap',
      });

      it('stores tokens by hash, refuses a duplicate id or hash, lists by namespace, revokes once', async () => {
        const s = await open();
        expect(await s.putToken(token('t1', 'h1', 'acme', 10))).toBe(true);
        expect(await s.putToken(token('t2', 'h2', 'beta', 20))).toBe(true);
        expect(await s.putToken(token('t3', 'h3', 'acme', 30))).toBe(true);
        expect(await s.putToken(token('t1', 'hx', 'acme', 40))).toBe(false);
        expect(await s.putToken(token('tx', 'h2', 'acme', 40))).toBe(false);

        expect(await s.findToken('h1')).toEqual(token('t1', 'h1', 'acme', 10));
        expect(await s.findToken('nope')).toBeUndefined();
        expect((await s.listTokens()).map((t) => t.tokenId)).toEqual(['t1', 't2', 't3']);
        expect((await s.listTokens('acme')).map((t) => t.tokenId)).toEqual(['t1', 't3']);

        expect(await s.revokeToken('t1', 50)).toBe(true);
        expect(await s.revokeToken('t1', 60)).toBe(false);
        expect(await s.revokeToken('nope', 60)).toBe(false);
        expect((await s.findToken('h1'))?.revokedAt).toBe(50);
        expect((await s.findToken('h3'))?.revokedAt).toBeUndefined();
      });
    });
  });
}
