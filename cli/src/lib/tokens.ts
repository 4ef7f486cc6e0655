// API tokens for `aob token …`: through a server's admin routes, or written straight into a store
// (AOB_HOME's, or PostgreSQL's with --database-url) to bootstrap the first admin of a fresh
// server. A token is `aob_<random>`; stores keep only its sha256 (hex), so it is shown once.
import { createHash, randomBytes } from 'node:crypto';
import type { CreatedToken, Role, TokenInfo } from '@aob/control';
import type { TokenRecord, TokenStore } from '@aob/store';
import { badInput } from './errors.js';

export const ROLES = [
  'viewer',
  'operator',
  'approver',
  'admin',
  'agent',
] as const satisfies readonly Role[];

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

/** The stored form of a token: sha256 hex of the whole token string, as the server hashes it. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new token (256 random bits) and its id (time-ordered, so lists sort by creation). */
export function mintToken(now: number): { token: string; tokenId: string; hash: string } {
  const token = `aob_${randomBytes(32).toString('base64url')}`;
  const tokenId = `tok_${now.toString(36)}${randomBytes(5).toString('hex')}`;
  return { token, tokenId, hash: hashToken(token) };
}

export function tokenInfo(r: TokenRecord): TokenInfo {
  return {
    tokenId: r.tokenId,
    subject: r.subject,
    role: r.role as Role,
    namespace: r.namespace,
    groups: [...r.groups],
    createdAt: r.createdAt,
    ...(r.revokedAt !== undefined ? { revokedAt: r.revokedAt } : {}),
  };
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
    const at = this.now();
    const { token, tokenId, hash } = mintToken(at);
    const record: TokenRecord = {
      tokenId,
      hash,
      subject: t.subject,
      role: t.role,
      namespace: t.namespace ?? 'default',
      groups: t.groups,
      createdAt: at,
      createdBy: this.createdBy,
    };
    if (!(await this.store.putToken(record))) {
      // 256 random bits do not collide; an id clash means two creations in one instant.
      throw new Error(`token ${tokenId} exists already; try again`);
    }
    return { token, ...tokenInfo(record) };
  }

  async list(): Promise<TokenInfo[]> {
    return (await this.store.listTokens()).map(tokenInfo);
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

/** The first admin token of a store, if it has none that is live: what `aob dev` prints. */
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
