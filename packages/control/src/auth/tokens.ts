// Bearer tokens (ARCHITECTURE §9): `aob_` + 32 random bytes (base64url; @aob/store's token-secrets).
// Only their sha256 is stored, so a copy of the database grants nothing; the token itself is shown
// once, when it is created. A job token (an agent's, minted per job by an orchestrator) is scoped
// to one run and expires.
import type { Problem } from '@aob/core';
import { ValidationError } from '@aob/core';
import type { TokenRecord, TokenStore } from '@aob/store';
import { TOKEN_PREFIX, hashToken, storeNewToken } from '@aob/store';
import type { Principal, Role } from './roles.js';
import { NAMESPACE_PATTERN, ROLES, isRole } from './roles.js';
import type { TokenView } from '@aob/client';

const SUBJECT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const GROUP_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export { hashToken };

export type { TokenView };

export interface TokenRequest {
  subject: string;
  role: string;
  namespace: string;
  groups?: string[];
}

/** Every problem with a token request, by field (empty: fine). */
export function tokenRequestProblems(req: Partial<Record<keyof TokenRequest, unknown>>): Problem[] {
  const problems: Problem[] = [];
  if (typeof req.subject !== 'string' || !SUBJECT_PATTERN.test(req.subject)) {
    problems.push({
      code: 'BAD_SUBJECT',
      path: '/subject',
      message: `must be 1–128 characters of letters, digits and . _ : @ - (got ${JSON.stringify(req.subject)})`,
    });
  }
  if (!isRole(req.role)) {
    problems.push({
      code: 'BAD_ROLE',
      path: '/role',
      message: `must be one of ${ROLES.join(', ')} (got ${JSON.stringify(req.role)})`,
    });
  }
  if (typeof req.namespace !== 'string' || !NAMESPACE_PATTERN.test(req.namespace)) {
    problems.push({
      code: 'BAD_NAMESPACE',
      path: '/namespace',
      message: `must be a DNS label: lowercase letters, digits and -, at most 63 (got ${JSON.stringify(req.namespace)})`,
    });
  }
  if (req.groups !== undefined) {
    if (!Array.isArray(req.groups)) {
      problems.push({ code: 'BAD_GROUPS', path: '/groups', message: 'must be an array of names' });
    } else {
      req.groups.forEach((g, i) => {
        if (typeof g !== 'string' || !GROUP_PATTERN.test(g)) {
          problems.push({
            code: 'BAD_GROUP',
            path: `/groups/${i}`,
            message: `must be 1–64 characters of letters, digits and . _ - (got ${JSON.stringify(g)})`,
          });
        }
      });
    }
  }
  return problems;
}

/** Creates a token; the returned `token` is the only time it exists outside the caller. */
export async function issueToken(
  store: TokenStore,
  req: TokenRequest,
  createdBy: string,
  now: number = Date.now(),
): Promise<{ token: string; view: TokenView }> {
  const problems = tokenRequestProblems(req);
  if (problems.length > 0) throw new ValidationError(problems, 'token');
  const { token, record } = await storeNewToken(store, {
    subject: req.subject,
    role: req.role,
    namespace: req.namespace,
    groups: [...new Set(req.groups ?? [])],
    createdAt: now,
    createdBy,
  });
  return { token, view: tokenView(record) };
}

export function tokenView(r: TokenRecord): TokenView {
  const { hash: _hash, ...rest } = r;
  return {
    ...rest,
    role: r.role as Role,
    ...(r.revokedAt !== undefined ? { revokedAt: r.revokedAt } : {}),
  };
}

/**
 * The principal of an `Authorization: Bearer <token>` header (or a bare token); undefined when
 * the header is absent or malformed, or the token is unknown, revoked or expired (at `now`).
 * Unknown, revoked and expired are deliberately indistinguishable to the caller.
 */
export async function authenticate(
  store: TokenStore,
  authorization: string | undefined,
  now: number = Date.now(),
): Promise<Principal | undefined> {
  const token = bearerToken(authorization);
  if (token === undefined) return undefined;
  const record = await store.findToken(hashToken(token));
  if (!record || record.revokedAt !== undefined || !isRole(record.role)) return undefined;
  if (record.expiresAt !== undefined && record.expiresAt <= now) return undefined;
  return {
    subject: record.subject,
    role: record.role,
    namespace: record.namespace,
    groups: record.groups,
    tokenId: record.tokenId,
    ...(record.runId !== undefined ? { runId: record.runId } : {}),
    ...(record.expiresAt !== undefined ? { expiresAt: record.expiresAt } : {}),
  };
}

function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization);
  const token = m ? m[1]! : authorization.trim();
  return token.startsWith(TOKEN_PREFIX) && token.length > TOKEN_PREFIX.length ? token : undefined;
}
