// Fresh PostgreSQL databases for the store's integration tests, on the server of $DATABASE_URL
// (default postgres://postgres@127.0.0.1:5432/postgres), each dropped by `dropCreatedDatabases`.
// A server that does not answer fails the test with what to do, never skips it.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const created: string[] = [];

/** The URL of `database` on the admin URL's server. */
export function urlOf(database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs `fn` on a connection to the admin URL. */
export async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `cannot connect to PostgreSQL at ${adminUrl} (${(err as Error).message}); ` +
        'start it or point DATABASE_URL at a server where this user may CREATE DATABASE',
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database's URL; dropped by `dropCreatedDatabases`. */
export async function freshDatabase(): Promise<string> {
  const name = `aob_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  created.push(name);
  return urlOf(name);
}

/** Drops every database `freshDatabase` made (call in afterAll). */
export async function dropCreatedDatabases(): Promise<void> {
  const names = created.splice(0);
  if (names.length === 0) return;
  await admin(async (c) => {
    for (const name of names) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}
