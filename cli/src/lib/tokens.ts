// API tokens for `aob token …` written straight into a store (AOB_HOME's, or PostgreSQL's with
// --database-url) to bootstrap the first admin of a fresh server or `aob dev`. Tokens are made by
// the control plane's issueToken (the server's own path: same format, same checks, only the
// sha256 stored), so the token is shown once.
import type { CreatedToken, Role, TokenInfo } from '@aob/client';
import { ROLES, issueToken, tokenView } from '@aob/control';
import type { TokenStore } from '@aob/store';
import { badInput } from './errors.js';

export { ROLES };

export interface NewToken {
  subject: string;
  role: Role;
  groups: string[];
  namespace?: string;
}

/** What `aob token` does, wherever the tokens live. */
export interface TokenAdmin {
  /** Where: "the server http://…", "the store at …". */
  readonly where: string;
  create(t: NewToken): Promise<CreatedToken>;
  list(): Promise<TokenInfo[]>;
  revoke(tokenId: string): Promise<void>;
  close(): Promise<void>;
}

/** Tokens written straight into a store: only for bootstrapping and for `aob dev`. */
export class StoreTokens implements TokenAdmin {
  constructor(
    private readonly store: TokenStore,
    readonly where: string,
    private readonly createdBy: string,
    /** Closes the store when `aob token` opened it for itself. */
    private readonly closeStore: () => Promise<void> = async () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  async create(t: NewToken): Promise<CreatedToken> {
    const { token, view } = await issueToken(
      this.store,
      { subject: t.subject, role: t.role, groups: t.groups, namespace: t.namespace ?? 'default' },
      this.createdBy,
      this.now(),
    );
    return { token, ...view };
  }

  async list(): Promise<TokenInfo[]> {
    return (await this.store.listTokens()).map(tokenView);
  }

  async revoke(tokenId: string): Promise<void> {
    if (!(await this.store.revokeToken(tokenId, this.now()))) {
      throw badInput(
        'TOKEN_NOT_FOUND',
        `no live token ${tokenId} in ${this.where} (list them with: aob token list)`,
      );
    }
  }

  close(): Promise<void> {
    return this.closeStore();
  }
}

/** The first admin token of a store, if it has no live one: what `aob dev` prints. */
export async function ensureAdminToken(
  store: TokenStore,
  createdBy: string,
  subject: string,
  now: () => number = Date.now,
): Promise<CreatedToken | undefined> {
  const live = (await store.listTokens()).filter((t) => t.revokedAt === undefined);
  if (live.some((t) => t.role === 'admin')) return undefined;
  const admin = new StoreTokens(store, 'the store', createdBy, undefined, now);
  return admin.create({ subject, role: 'admin', groups: [] });
}
