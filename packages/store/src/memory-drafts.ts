// Drafts in memory (DraftStore), for the memory event store. Records are kept as JSON text, as
// the durable adapters keep them, so a caller never holds a reference into the store; everything
// up to the first await runs synchronously, so the revision check and the append are atomic.
import type {
  DraftChangeRecord,
  DraftCommitRecord,
  DraftFocus,
  DraftRecord,
  DraftStore,
} from './port.js';

interface Entry {
  /** The record without its change log, as JSON. */
  json: string;
  /** The change log, each change as JSON, oldest first (seq 1 at index 0). */
  changes: string[];
}

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export class MemoryDrafts implements DraftStore {
  /** Insertion order is creation order. */
  private readonly drafts = new Map<string, Entry>();

  async createDraft(record: DraftRecord): Promise<boolean> {
    if (this.drafts.has(record.draftId)) return false;
    this.drafts.set(record.draftId, { json: JSON.stringify(record), changes: [] });
    return true;
  }

  async getDraft(draftId: string): Promise<DraftRecord | undefined> {
    const entry = this.drafts.get(draftId);
    return entry === undefined ? undefined : (JSON.parse(entry.json) as DraftRecord);
  }

  async listDrafts(
    namespace: string,
    page: { offset?: number; limit?: number } = {},
  ): Promise<DraftRecord[]> {
    const mine = [...this.drafts.values()]
      .map((e) => JSON.parse(e.json) as DraftRecord)
      .filter((d) => d.namespace === namespace)
      .reverse();
    const offset = page.offset ?? 0;
    return mine.slice(offset, page.limit === undefined ? undefined : offset + page.limit);
  }

  async appendDraftChange(
    draftId: string,
    change: DraftChangeRecord,
    definition: unknown,
    revision: number,
    expectedRevision: number,
  ): Promise<boolean> {
    const entry = this.drafts.get(draftId);
    if (entry === undefined) return false;
    const record = JSON.parse(entry.json) as DraftRecord;
    if (record.revision !== expectedRevision) return false;
    record.definition = copy(definition);
    record.revision = revision;
    record.updatedAt = change.at;
    record.lastChange = { seq: change.seq, by: change.by, kind: change.kind, at: change.at };
    entry.json = JSON.stringify(record);
    entry.changes.push(JSON.stringify(change));
    return true;
  }

  async draftChanges(
    draftId: string,
    afterSeq: number,
    limit: number,
  ): Promise<DraftChangeRecord[]> {
    const entry = this.drafts.get(draftId);
    if (entry === undefined) return [];
    return entry.changes
      .map((c) => JSON.parse(c) as DraftChangeRecord)
      .filter((c) => c.seq > afterSeq)
      .slice(0, Math.max(0, limit));
  }

  async setDraftFocus(draftId: string, focus: DraftFocus): Promise<boolean> {
    return this.update(draftId, (record) => {
      record.focus = copy(focus);
      record.updatedAt = focus.at;
    });
  }

  async addDraftCommit(draftId: string, commit: DraftCommitRecord): Promise<boolean> {
    return this.update(draftId, (record) => {
      record.commits.push(copy(commit));
      record.updatedAt = commit.at;
    });
  }

  async deleteDraft(draftId: string): Promise<boolean> {
    return this.drafts.delete(draftId);
  }

  private update(draftId: string, change: (record: DraftRecord) => void): boolean {
    const entry = this.drafts.get(draftId);
    if (entry === undefined) return false;
    const record = JSON.parse(entry.json) as DraftRecord;
    change(record);
    entry.json = JSON.stringify(record);
    return true;
  }
}
