import { sha256 } from '@noble/hashes/sha256';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import { canonicalJson } from './canonical.js';

/** A reference to a value in the content-addressed store: sha256 of its RFC 8785 canonical JSON. */
export interface CasRef {
  $cas: `sha256:${string}`;
  size: number;
}

export function isCasRef(v: unknown): v is CasRef {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as CasRef).$cas === 'string' &&
    (v as CasRef).$cas.startsWith('sha256:')
  );
}

export function sha256Hex(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes));
}

/** The canonical bytes of a value and its reference: the same value always gives the same ref. */
/** A value's canonical bytes and the reference they hash to. */
export interface Content {
  ref: CasRef;
  bytes: Uint8Array;
}

/**
 * Computes a value's content: the portable implementation (pure JS sha256). Shells that have a
 * native sha256 pass a faster function with the same results (see `DecideEnv.contentOf`).
 */
export type ContentHasher = (value: unknown) => Content;

export function contentOf(value: unknown): Content {
  const bytes = utf8ToBytes(canonicalJson(value));
  return { ref: { $cas: `sha256:${sha256Hex(bytes)}`, size: bytes.length }, bytes };
}

export function refOf(value: unknown): CasRef {
  return contentOf(value).ref;
}

/** The storage key for a reference: `sha256/<hex>`. */
export function casKey(ref: CasRef): string {
  return `sha256/${ref.$cas.slice('sha256:'.length)}`;
}
