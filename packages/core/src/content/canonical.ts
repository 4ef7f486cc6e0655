import canonicalize from 'canonicalize';

/** RFC 8785 (JCS) canonical JSON. `undefined` (not JSON) canonicalises as null. */
export function canonicalJson(value: unknown): string {
  return canonicalize(value === undefined ? null : value) ?? 'null';
}
