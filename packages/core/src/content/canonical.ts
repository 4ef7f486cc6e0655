import canonicalizeModule from 'canonicalize';

// The package is CommonJS (`module.exports = serialize`) while its typings declare a default
// export; under NodeNext the default import is the function itself at run time.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/** RFC 8785 (JCS) canonical JSON. `undefined` (not JSON) canonicalises as null. */
export function canonicalJson(value: unknown): string {
  return canonicalize(value === undefined ? null : value) ?? 'null';
}
