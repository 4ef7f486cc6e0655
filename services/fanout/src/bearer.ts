// Bearer-token authentication against the store's token table (the plan's contract: a token
// `aob_<random>` is stored as its sha256 hex; `Authorization: Bearer <token>`; a revoked token is
// unknown). The control plane's `authenticate` implements the same contract for the API; this
// service takes any `Authenticate` (fanoutStarter), and uses this one by default.
import { createHash } from 'node:crypto';
import type { Authenticate, TimelinePrincipal } from '@aob/control';

/** The token lookup of the event store (`TokenStore.findToken` of @aob/store). */
export interface TokenLookup {
  findToken(hash: string): Promise<
    | {
        tokenId: string;
        subject: string;
        role: string;
        namespace: string;
        groups: string[];
        revokedAt?: number;
      }
    | undefined
  >;
}

export function bearerAuthenticate(tokens: TokenLookup): Authenticate {
  return async (header) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) return undefined;
    const hash = createHash('sha256').update(m[1]!).digest('hex');
    const record = await tokens.findToken(hash);
    if (!record || record.revokedAt !== undefined) return undefined;
    const principal: TimelinePrincipal & {
      role: string;
      groups: string[];
      tokenId: string;
    } = {
      subject: record.subject,
      role: record.role,
      namespace: record.namespace,
      groups: record.groups,
      tokenId: record.tokenId,
    };
    return principal;
  };
}
