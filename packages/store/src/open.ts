// Ready-made store pairs for composition roots: durable local stores in an `.aob/` home, or
// in-memory ones for tests and benchmarks.
import { FileContentStore } from './file-content.js';
import { MemoryContentStore } from './memory-content.js';
import { MemoryEventStore } from './memory-events.js';
import { SqliteEventStore } from './sqlite-events.js';

/**
 * How far a local commit survives:
 * - `normal` (the default): a process crash or `kill -9` of any process loses nothing; an OS
 *   crash or power loss may roll back the last commits (SQLite WAL with synchronous=NORMAL, content
 *   files written and renamed, never fsynced), never corrupt the store.
 * - `full`: a commit is on the disk before it is acknowledged, power loss included: SQLite fsyncs
 *   every (group) commit (synchronous=FULL), and each content file and its directory entry are
 *   fsynced before the put resolves, so an event never refers to an output the disk lost. It costs
 *   a step about an fsync and a half (measured in bench/README.md).
 */
export type Durability = 'normal' | 'full';

export const DURABILITIES: readonly Durability[] = ['normal', 'full'];

/** SQLite's `synchronous` pragma for each level. */
const SQLITE_SYNCHRONOUS = { normal: 'NORMAL', full: 'FULL' } as const;

/** `<home>/aob.db` and `<home>/cas/`; creates the directory if needed. */
export function openLocalStores(
  home: string,
  options: { durability?: Durability } = {},
): {
  events: SqliteEventStore;
  content: FileContentStore;
} {
  const durability = options.durability ?? 'normal';
  return {
    events: SqliteEventStore.open(home, { synchronous: SQLITE_SYNCHRONOUS[durability] }),
    content: FileContentStore.open(home, { fsync: durability === 'full' }),
  };
}

export function openMemoryStores(): { events: MemoryEventStore; content: MemoryContentStore } {
  return { events: new MemoryEventStore(), content: new MemoryContentStore() };
}
