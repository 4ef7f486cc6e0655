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

      it("keeps a job token's run scope and expiry, and deletes only tokens expired before a time", async () => {
        const s = await open();
        const job = (id: string, expiresAt: number): TokenRecord => ({
          ...token(id, `h-${id}`, 'acme', 10),
          subject: 'agent:planner',
          role: 'agent',
          groups: [],
          runId: 'run_a',
          expiresAt,
        });
        expect(await s.putToken(job('j1', 100))).toBe(true);
        expect(await s.putToken(job('j2', 200))).toBe(true);
        expect(await s.putToken(token('t1', 'h1', 'acme', 10))).toBe(true);
        expect(await s.findToken('h-j1')).toEqual(job('j1', 100));
        expect(await s.findToken('h1')).toEqual(token('t1', 'h1', 'acme', 10));

        expect(await s.deleteExpiredTokens(100)).toBe(0); // expires at 100: not before 100
        expect(await s.deleteExpiredTokens(150)).toBe(1);
        expect(await s.findToken('h-j1')).toBeUndefined();
        expect((await s.listTokens()).map((t) => t.tokenId)).toEqual(['j2', 't1']);
        expect(await s.deleteExpiredTokens(Number.MAX_SAFE_INTEGER)).toBe(1);
        expect((await s.listTokens()).map((t) => t.tokenId)).toEqual(['t1']);
      });
    });
  });
}
