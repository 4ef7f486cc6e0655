// Bootstrapping a cluster's first admin: `aob token create --database-url` writes the token
// straight into PostgreSQL (hashed), where the API's authenticate finds it.
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '@aob/control';
import { PgEventStore } from '@aob/store';
import { launchPostgres } from './cluster-harness.js';
import type { PrivatePostgres } from './cluster-harness.js';
import { aob, json, tempHome } from './helpers.js';

interface Token {
  token: string;
  tokenId: string;
  subject: string;
  role: string;
  namespace: string;
  groups: string[];
  revokedAt?: number;
}

let pgsql: PrivatePostgres;
let home: { home: string; cleanup: () => void };
beforeAll(async () => {
  pgsql = await launchPostgres();
  home = tempHome();
}, 120_000);
afterAll(async () => {
  await pgsql?.stop();
  home?.cleanup();
});

describe('aob token against PostgreSQL directly', () => {
  it('creates the first admin (--database-url), lists and revokes it (AOB_DATABASE_URL)', async () => {
    // AOB_HOME is a directory that must stay empty: nothing goes to the local store.
    const env = { AOB_HOME: home.home };
    const r = await aob(
      [
        'token',
        'create',
        '--role',
        'admin',
        '--subject',
        'root',
        '--groups',
        'ops',
        '--namespace',
        'team-a',
        '--database-url',
        pgsql.url,
        '--json',
      ],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const created = json<Token>(r);
    expect(created).toMatchObject({
      subject: 'root',
      role: 'admin',
      namespace: 'team-a',
      groups: ['ops'],
    });

    const store = await PgEventStore.open({ connectionString: pgsql.url, poolSize: 1 });
    try {
      expect(await authenticate(store, `Bearer ${created.token}`)).toMatchObject({
        subject: 'root',
        role: 'admin',
        namespace: 'team-a',
        tokenId: created.tokenId,
      });

      const listed = await aob(['token', 'list', '--json'], {
        ...env,
        AOB_DATABASE_URL: pgsql.url,
      });
      expect(listed.code, listed.stderr).toBe(0);
      expect(json<Token[]>(listed).map((t) => t.tokenId)).toEqual([created.tokenId]);
      expect(listed.stdout).not.toContain(created.token);

      const revoked = await aob(['token', 'revoke', created.tokenId], {
        ...env,
        AOB_DATABASE_URL: pgsql.url,
      });
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(await authenticate(store, `Bearer ${created.token}`)).toBeUndefined();
      const again = await aob(['token', 'revoke', created.tokenId, '--json'], {
        ...env,
        AOB_DATABASE_URL: pgsql.url,
      });
      expect(again.code).toBe(2);
    } finally {
      await store.close();
    }
    expect(readdirSync(home.home)).toEqual([]);
  });

  it('exits 3 when the database cannot be reached, without its password in the message', async () => {
    const url = pgsql.url.replace('postgres@', 'postgres:s3cret@').replace(/:(\d+)\//, ':1/');
    const r = await aob(['token', 'list', '--database-url', url, '--json'], {
      AOB_HOME: home.home,
    });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('STORE_UNAVAILABLE');
    expect(r.stdout).not.toContain('s3cret');
  });

  it('names every problem of a bad request (exit 2)', async () => {
    const r = await aob(
      [
        'token',
        'create',
        '--role',
        'viewer',
        '--subject',
        'a b',
        '--groups',
        'ok,b/ad',
        '--database-url',
        pgsql.url,
        '--json',
      ],
      { AOB_HOME: home.home },
    );
    expect(r.code).toBe(2);
    const problems = json<{ error: { problems: { path: string }[] } }>(r).error.problems;
    expect(problems.map((p) => p.path)).toEqual(['/subject', '/groups/1']);
  });
});
