// The reference ContentStore: canonical JSON texts in a map, keyed by `casKey(ref)`. `get`
// parses the stored text, so every reader gets its own copy and a value mutated after `put`
// does not change what was stored.
import { casKey } from '@aob/core';
import type { CasRef, Content } from '@aob/core';
import { nativeContentOf } from './native-content.js';
import type { ContentStore } from './port.js';
import { contentMissing } from './errors.js';

const utf8 = new TextDecoder();

export class MemoryContentStore implements ContentStore {
  private readonly texts = new Map<string, string>();

  async put(value: unknown, known?: Content): Promise<CasRef> {
    const { ref, bytes } = known ?? nativeContentOf(value);
    const key = casKey(ref);
    if (!this.texts.has(key)) this.texts.set(key, utf8.decode(bytes));
    return ref;
  }

  async get(ref: CasRef): Promise<unknown> {
    const text = this.texts.get(casKey(ref));
    if (text === undefined) throw contentMissing(ref);
    return JSON.parse(text) as unknown;
  }

  async has(ref: CasRef): Promise<boolean> {
    return this.texts.has(casKey(ref));
  }

  async close(): Promise<void> {}
}
