// A small LRU of canonical JSON texts keyed by CAS key, bounded by total characters. Entries are
// immutable strings, so handing one out never lets a caller alter what another caller reads.
export class BoundedCache {
  private readonly entries = new Map<string, string>();
  private size = 0;

  constructor(
    private readonly maxChars: number,
    /** Values bigger than this are not cached: one of them would evict everything else. */
    private readonly maxEntryChars = Math.floor(maxChars / 8),
  ) {}

  get(key: string): string | undefined {
    const text = this.entries.get(key);
    if (text !== undefined) {
      // Map keeps insertion order: re-inserting marks the entry most recently used.
      this.entries.delete(key);
      this.entries.set(key, text);
    }
    return text;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  set(key: string, text: string): void {
    if (text.length > this.maxEntryChars) return;
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.size -= old.length;
    }
    this.entries.set(key, text);
    this.size += text.length;
    for (const [k, v] of this.entries) {
      if (this.size <= this.maxChars) break;
      this.entries.delete(k);
      this.size -= v.length;
    }
  }

  clear(): void {
    this.entries.clear();
    this.size = 0;
  }
}
