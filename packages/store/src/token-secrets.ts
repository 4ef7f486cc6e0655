// What a bearer token is (ARCHITECTURE §9): `aob_` + 32 random bytes (base64url), with an id of its
// own. Only its sha256 is stored (TokenRecord.hash), so a copy of the database grants nothing.
// One maker for every issuer: an admin's `aob token create` and an orchestrator minting a job token.
import { createHash, randomBytes } from 'node:crypto';
import { AobError } from '@aob/core';
import type { TokenRecord, TokenStore } from './port.js';

export const TOKEN_PREFIX = 'aob_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Makes a token and stores its record (`fields` plus a fresh id and the hash); returns the token
 * itself, which exists nowhere else: the caller shows it once (or hands it to the one job it is
 * for) and never stores it.
 */
export async function storeNewToken(
  store: Pick<TokenStore, 'putToken'>,
  fields: Omit<TokenRecord, 'tokenId' | 'hash'>,
): Promise<{ token: string; record: TokenRecord }> {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const record: TokenRecord = {
    tokenId: `tok_${randomBytes(8).toString('hex')}`,
    hash: hashToken(token),
    ...fields,
  };
  if (!(await store.putToken(record))) {
    // 2^-64 for the id, 2^-256 for the hash: a collision means something is badly wrong.
    throw new AobError('TOKEN_COLLISION', 'a token with this id or hash exists; try again', {
      retryable: true,
    });
  }
  return { token, record };
}
