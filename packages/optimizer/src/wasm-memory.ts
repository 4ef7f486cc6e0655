// The memory a WebAssembly module declares, read from its binary: WebAssembly.Module.imports and
// .exports name a memory but not its limits, and the limits are what the host must check before
// it instantiates anything (a module may declare more initial pages than the limit allows).

export interface DeclaredMemory {
  /** Whether the memory is imported (`env.memory`) rather than defined by the module. */
  imported: boolean;
  /** Initial size in 64 KiB pages. */
  initial: number;
  /** Declared maximum in pages, if any. */
  maximum?: number;
}

const MEMORY_SECTION = 5;
const IMPORT_SECTION = 2;

/**
 * The memories `bytes` declares (imported first, then defined), or a message saying why the
 * binary cannot be read. Called on bytes that WebAssembly.Module already compiled, so a failure
 * here means a reader limit, not a malformed module.
 */
export function declaredMemories(bytes: Uint8Array): DeclaredMemory[] | string {
  const r = new Reader(bytes);
  try {
    r.at = 8; // magic and version
    const memories: DeclaredMemory[] = [];
    while (r.at < bytes.length) {
      const id = r.byte();
      const size = r.u32();
      const end = r.at + size;
      if (id === IMPORT_SECTION) memories.push(...importedMemories(r));
      else if (id === MEMORY_SECTION) {
        const count = r.u32();
        for (let i = 0; i < count; i++) memories.push({ imported: false, ...r.limits() });
      }
      r.at = end;
    }
    return memories;
  } catch (err) {
    return (err as Error).message;
  }
}

function importedMemories(r: Reader): DeclaredMemory[] {
  const found: DeclaredMemory[] = [];
  const count = r.u32();
  for (let i = 0; i < count; i++) {
    r.skip(r.u32()); // module name
    r.skip(r.u32()); // field name
    const kind = r.byte();
    if (kind === 0)
      r.u32(); // function: type index
    else if (kind === 1) {
      r.byte(); // table: element type, then limits
      r.limits();
    } else if (kind === 2) found.push({ imported: true, ...r.limits() });
    else if (kind === 3) {
      r.byte(); // global: value type, mutability
      r.byte();
    } else if (kind === 4) {
      r.byte(); // tag: attribute, type index
      r.u32();
    } else throw new Error(`unknown import kind ${kind}`);
  }
  return found;
}

class Reader {
  at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  byte(): number {
    if (this.at >= this.bytes.length) throw new Error('the module ends early');
    return this.bytes[this.at++]!;
  }

  skip(n: number): void {
    this.at += n;
  }

  /** An unsigned LEB128 number (u32 or u64: pages of a 64-bit memory fit a double). */
  u32(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new Error('a LEB128 number runs on');
  }

  limits(): { initial: number; maximum?: number } {
    const flags = this.byte();
    const initial = this.u32();
    return flags & 1 ? { initial, maximum: this.u32() } : { initial };
  }
}
