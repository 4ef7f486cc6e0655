import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from '@aob/store';
import { exitCodeForError } from './exit-codes.js';
import { hashToken } from '@aob/control';
import { StoreTokens, ensureAdminToken } from './tokens.js';
import { redact } from './token-admin.js';

describe('tokens', () => {
  it('creates aob_ tokens (256 random bits) and stores only their sha256', async () => {
    const store = new MemoryEventStore();
    const admin = new StoreTokens(store, 'memory', 'cli:test', undefined, () => 1_000);
    const created = await admin.create({ subject: 'alice', role: 'approver', groups: ['finance'] });
    expect(created).toMatchObject({
      subject: 'alice',
      role: 'approver',
      namespace: 'default',
      groups: ['finance'],
      createdAt: 1_000,
    });
    const stored = await store.findToken(hashToken(created.token));
    expect(stored).toMatchObject({ tokenId: created.tokenId, createdBy: 'cli:test' });
    expect(created.token).toMatch(/^aob_[A-Za-z0-9_-]{43}$/);
    expect(stored!.hash).toBe(createHash('sha256').update(created.token).digest('hex'));
    expect(JSON.stringify(await store.listTokens())).not.toContain(created.token);
  });

  it('names every problem of a bad request (exit 2), storing nothing', async () => {
    const store = new MemoryEventStore();
    const admin = new StoreTokens(store, 'memory', 'cli:test');
    const err = await admin
      .create({
        subject: 'has space',
        role: 'viewer',
        groups: ['ok', 'no/slash'],
        namespace: 'Upper',
      })
      .catch((e: unknown) => e);
    expect(exitCodeForError(err)).toBe(2);
    expect((err as { problems: { path: string }[] }).problems.map((p) => p.path)).toEqual([
      '/subject',
      '/namespace',
      '/groups/1',
    ]);
    expect(await store.listTokens()).toEqual([]);
  });

  it('revokes a live token once; a second revoke is bad input naming the id', async () => {
    const admin = new StoreTokens(new MemoryEventStore(), 'memory', 'cli:test');
    const { tokenId } = await admin.create({
      subject: 's',
      role: 'viewer',
      groups: [],
      namespace: 'ns1',
    });
    await admin.revoke(tokenId);
    expect((await admin.list())[0]).toMatchObject({
      tokenId,
      namespace: 'ns1',
      revokedAt: expect.any(Number),
    });
    const err = await admin.revoke(tokenId).catch((e: unknown) => e);
    expect(exitCodeForError(err)).toBe(2);
    expect((err as Error).message).toContain(tokenId);
  });

  it('ensureAdminToken creates an admin only while the store has no live one', async () => {
    const store = new MemoryEventStore();
    const first = await ensureAdminToken(store, 'aob dev', 'dev');
    expect(first).toMatchObject({ role: 'admin', subject: 'dev' });
    expect(await ensureAdminToken(store, 'aob dev', 'dev')).toBeUndefined();
    await store.revokeToken(first!.tokenId, 2);
    expect(await ensureAdminToken(store, 'aob dev', 'dev')).toMatchObject({ role: 'admin' });
  });

  it('redacts a database password in messages', () => {
    expect(redact('postgres://u:secret@h:5432/db')).toBe('postgres://u:***@h:5432/db');
  });
});
