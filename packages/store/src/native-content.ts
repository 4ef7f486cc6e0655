import { createHash } from 'node:crypto';
import { canonicalJson } from '@aob/core';
import type { Content } from '@aob/core';

/**
 * The core's `contentOf` with Node's native sha256 (about ten times faster than the portable
 * one): same canonical bytes, same references. Shells pass it to decide and use it for puts.
 */
export function nativeContentOf(value: unknown): Content {
  const bytes = Buffer.from(canonicalJson(value), 'utf8');
  const hex = createHash('sha256').update(bytes).digest('hex');
  return { ref: { $cas: `sha256:${hex}`, size: bytes.length }, bytes };
}
