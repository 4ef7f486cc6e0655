// Where `aob token …` works: --database-url (or AOB_DATABASE_URL without AOB_SERVER) writes into
// that PostgreSQL directly, the bootstrap of a cluster's first admin; else AOB_SERVER's admin
// routes (an admin token); else the local store under AOB_HOME (what `aob dev` serves).
import path from 'node:path';
import type { CreatedToken, TokenInfo } from '@aob/client';
import { AobHttpClient } from '@aob/client';
import { PgEventStore, SqliteEventStore } from '@aob/store';
import { chooseBackend } from './backend.js';
import { badInput, unreachable } from './errors.js';
import { fromServerError } from './server-errors.js';
import type { NewToken, TokenAdmin } from './tokens.js';
import { StoreTokens } from './tokens.js';

export class ServerTokens implements TokenAdmin {
  readonly where: string;
  constructor(
    private readonly client: AobHttpClient,
    private readonly server: string,
  ) {
    this.where = `the server ${server}`;
  }

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw fromServerError(err, action, this.server);
    }
  }

  create(t: NewToken): Promise<CreatedToken> {
    if (t.namespace !== undefined) {
      throw badInput(
        'BAD_FLAG',
        "--namespace: a server creates tokens in its admin's namespace; --namespace is for --database-url and the local store",
      );
    }
    return this.call('create a token', () =>
      this.client.createToken({ subject: t.subject, role: t.role, groups: t.groups }),
    );
  }

  list(): Promise<TokenInfo[]> {
    return this.call('list tokens', () =>
      this.client.all((cursor) => this.client.listTokens(cursor ? { cursor } : {})),
    );
  }

  async revoke(tokenId: string): Promise<void> {
    await this.call(`revoke token ${tokenId}`, () => this.client.revokeToken(tokenId));
  }

  async close(): Promise<void> {
    // Nothing held.
  }
}

export async function openTokenAdmin(
  env: Readonly<Record<string, string | undefined>>,
  opts: { databaseUrl?: string; cwd: string; actor: string },
): Promise<TokenAdmin> {
  const choice = chooseBackend(env);
  const databaseUrl =
    opts.databaseUrl ?? (choice.mode === 'local' ? env.AOB_DATABASE_URL || undefined : undefined);
  const createdBy = `cli:${opts.actor}`;
  if (databaseUrl !== undefined) {
    let store: PgEventStore;
    try {
      store = await PgEventStore.open({
        connectionString: databaseUrl,
        poolSize: 1,
        pool: { connectionTimeoutMillis: 10_000 },
      });
    } catch (err) {
      throw unreachable(
        'STORE_UNAVAILABLE',
        `cannot open PostgreSQL at ${redact(databaseUrl)}: ${(err as Error).message}`,
      );
    }
    return new StoreTokens(store, `PostgreSQL at ${redact(databaseUrl)}`, createdBy, () =>
      store.close(),
    );
  }
  if (choice.mode === 'server') {
    return new ServerTokens(
      new AobHttpClient({ baseUrl: choice.url, token: choice.token }),
      choice.url,
    );
  }
  const home = path.resolve(opts.cwd, env.AOB_HOME || '.aob');
  let store: SqliteEventStore;
  try {
    store = SqliteEventStore.open(home);
  } catch (err) {
    throw unreachable(
      'STORE_UNAVAILABLE',
      `cannot open the store at ${home}: ${(err as Error).message}`,
    );
  }
  return new StoreTokens(store, `the store at ${home}`, createdBy, () => store.close());
}

/** A database URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(the database URL)';
  }
}
