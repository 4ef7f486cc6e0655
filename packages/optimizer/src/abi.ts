// The optimizer's ABI, version 1: the one contract between aob and a pass, built in or a user's.
//
//   exports  alloc(len: i32) -> i32          memory for the host to write the input into
//            optimize(ptr: i32, len: i32) -> i64
//                                            reads the IR view (UTF-8 JSON, ir-view.ts) at ptr,
//                                            returns (outPtr << 32) | outLen: UTF-8 JSON
//                                            [{ "patch": [RFC 6902 ops], "rationale": "…" }, …]
//            memory                          unless the memory is imported
//   imports  env.memory (optional)           given by the host, sized to the memory limit
//            env.abort(msg, file, line, col) (optional) AssemblyScript's abort: the call fails
//                                            with OPTIMIZER_TRAP and the message
//            nothing else: a module importing anything else is refused before it is instantiated
//            (a pass computes; it has no clock, no I/O, no host to call).
//
// Limits: memory — a declared initial size over the limit is refused; an imported memory is
// created with the limit as its maximum, a defined one must declare a maximum within it, so
// growing past it fails inside the module; time — the call runs in a worker thread that is
// terminated at the time limit. Either way the graph is untouched: nothing a pass says is applied
// until the validator has judged it.
import { AobError } from '@aob/core';
import { declaredMemories, type DeclaredMemory } from './wasm-memory.js';

export const ABI_VERSION = 1;
export const PAGE_BYTES = 65_536;

/** The imports the ABI gives: module `env`, these names, these kinds. */
export const ABI_IMPORTS: Readonly<Record<string, WebAssembly.ImportExportKind>> = {
  abort: 'function',
  memory: 'memory',
};

export interface PassLimits {
  /** The most memory a pass may have, in 64 KiB pages. */
  maxPages: number;
  /** How long one call may run, in milliseconds. */
  timeoutMs: number;
  /** The largest answer, in bytes. */
  maxOutputBytes: number;
}

export const DEFAULT_LIMITS: PassLimits = {
  maxPages: 256, // 16 MiB
  timeoutMs: 2_000,
  maxOutputBytes: 4 * 1024 * 1024,
};

/** A module that passed every check, ready to instantiate in the sandbox. */
export interface CheckedModule {
  module: WebAssembly.Module;
  memory: DeclaredMemory;
}

/**
 * Compiles `bytes` and checks them against the ABI: compiled, importing nothing but what the ABI
 * gives, exporting alloc and optimize (and memory, unless imported), memory within the limit.
 * Throws OPTIMIZER_BAD_MODULE, OPTIMIZER_FORBIDDEN_IMPORT or OPTIMIZER_MEMORY_LIMIT naming every
 * problem of its kind.
 */
export function checkModule(
  pass: string,
  bytes: Uint8Array<ArrayBuffer>,
  limits: PassLimits,
): CheckedModule {
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch (err) {
    throw new AobError(
      'OPTIMIZER_BAD_MODULE',
      `pass ${pass}: not a WebAssembly module (${(err as Error).message})`,
    );
  }
  const forbidden = WebAssembly.Module.imports(module)
    .filter((i) => i.module !== 'env' || ABI_IMPORTS[i.name] !== i.kind)
    .map((i) => `${i.module}.${i.name} (${i.kind})`);
  if (forbidden.length > 0) {
    throw new AobError(
      'OPTIMIZER_FORBIDDEN_IMPORT',
      `pass ${pass}: imports ${forbidden.join(', ')}; a pass may import only env.abort (function) and env.memory (memory)`,
      { details: { imports: forbidden } },
    );
  }
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  const memories = declaredMemories(bytes);
  if (typeof memories === 'string') {
    throw new AobError('OPTIMIZER_BAD_MODULE', `pass ${pass}: ${memories}`);
  }
  const missing: string[] = [];
  if (exports.get('alloc') !== 'function') missing.push('alloc (function)');
  if (exports.get('optimize') !== 'function') missing.push('optimize (function)');
  const memory = memories[0];
  if (memory && !memory.imported && exports.get('memory') !== 'memory') {
    missing.push('memory (memory)');
  }
  if (!memory) missing.push('a memory (imported as env.memory, or exported as memory)');
  if (missing.length > 0) {
    throw new AobError(
      'OPTIMIZER_BAD_MODULE',
      `pass ${pass}: does not export ${missing.join(', ')} (ABI version ${ABI_VERSION})`,
    );
  }
  const over: string[] = [];
  if (memory!.initial > limits.maxPages) {
    over.push(`declares ${memory!.initial} initial pages`);
  }
  if (!memory!.imported && (memory!.maximum === undefined || memory!.maximum > limits.maxPages)) {
    over.push(
      memory!.maximum === undefined
        ? 'defines a memory without a maximum'
        : `defines a memory of up to ${memory!.maximum} pages`,
    );
  }
  if (over.length > 0) {
    throw new AobError(
      'OPTIMIZER_MEMORY_LIMIT',
      `pass ${pass}: ${over.join(' and ')}; the limit is ${limits.maxPages} pages (${(limits.maxPages * PAGE_BYTES) / 1_048_576} MiB)`,
    );
  }
  return { module, memory: memory! };
}
