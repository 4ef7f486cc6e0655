// The pass side of the optimizer ABI (packages/optimizer/src/abi.ts has the host side and the
// contract). The host writes the IR view's UTF-8 JSON into memory it got from `alloc`, calls
// `optimize(ptr, len)`, and reads the answer at the packed (ptr << 32 | len) it returns: a JSON
// array of { patch: [RFC 6902 operations], rationale: string }.
//
// The passes are built with the stub runtime (no collector): an instance answers one call and is
// thrown away, so everything it allocates lives until then — including the answer, which must
// stay put until the host has read it.
import { JValue, parse } from './json';

export function alloc(len: i32): usize {
  return heap.alloc(<usize>len);
}

/** Decodes the IR view, runs `pass` on it and encodes its proposals for the host. */
export function answer(ptr: usize, len: i32, pass: (ir: JValue) => JValue): i64 {
  const ir = parse(String.UTF8.decodeUnsafe(ptr, <usize>len));
  const out = String.UTF8.encode(pass(ir).stringify());
  return ((<i64>changetype<usize>(out)) << 32) | (<i64>out.byteLength);
}
