// Ready-made store pairs for composition roots: durable local stores in an `.aob/` home, or
// in-memory ones for tests and benchmarks.
import { FileContentStore } from './file-content.js';
import { MemoryContentStore } from './memory-content.js';
import { MemoryEventStore } from './memory-events.js';
import { SqliteEventStore } from './sqlite-events.js';

/** `<home>/aob.db` and `<home>/cas/`; creates the directory if needed. */
export function openLocalStores(home: string): {
  events: SqliteEventStore;
  content: FileContentStore;
} {
  return { events: SqliteEventStore.open(home), content: FileContentStore.open(home) };
}

export function openMemoryStores(): { events: MemoryEventStore; content: MemoryContentStore } {
  return { events: new MemoryEventStore(), content: new MemoryContentStore() };
}
