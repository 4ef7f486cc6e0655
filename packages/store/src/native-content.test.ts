import { describe, expect, it } from 'vitest';
import { contentOf } from '@aob/core';
import { nativeContentOf } from './native-content.js';

describe('nativeContentOf', () => {
  it('gives exactly the references and bytes of the core contentOf', () => {
    const values = [
      null,
      0,
      -1.5e-7,
      'héllo ✓',
      [],
      {},
      { b: [1, { z: 'x', a: null }], a: true },
      'x'.repeat(100_000),
    ];
    for (const v of values) {
      const native = nativeContentOf(v);
      const portable = contentOf(v);
      expect(native.ref).toEqual(portable.ref);
      expect(Buffer.from(native.bytes).equals(Buffer.from(portable.bytes))).toBe(true);
    }
  });
});
