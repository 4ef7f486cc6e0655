// Drafts in SQLite (DraftStore), for the SQLite event store: tables `drafts` and `draft_changes`
// (migration 7). A change is the compare-and-set of the draft's revision and the insert of its
// row, in one immediate transaction.
import type { Database } from 'better-sqlite3';
import type {
  DraftChangeRecord,
  DraftCommitRecord,
  DraftFocus,
  DraftRecord,
  DraftStore,
} from './port.js';

interface DraftRow {
  draft_id: string;
  namespace: string;
  revision: number;
  definition: string;
  meta: string;
  focus: string | null;
  commits: string;
  last_change: string | null;
  updated_at: number;
}

interface Meta {
  title?: string;
  base?: DraftRecord['base'];
  createdBy: string;
  createdAt: number;
}

const COLUMNS =
  'draft_id, namespace, revision, definition, meta, focus, commits, last_change, updated_at';

function fromRow(row: DraftRow): DraftRecord {
  const meta = JSON.parse(row.meta) as Meta;
  return {
    draftId: row.draft_id,
    namespace: row.namespace,
    ...(meta.title !== undefined ? { title: meta.title } : {}),
    ...(meta.base !== undefined ? { base: meta.base } : {}),
    definition: JSON.parse(row.definition) as unknown,
    revision: row.revision,
    ...(row.focus !== null ? { focus: JSON.parse(row.focus) as DraftFocus } : {}),
    createdBy: meta.createdBy,
    createdAt: meta.createdAt,
    updatedAt: row.updated_at,
    commits: JSON.parse(row.commits) as DraftCommitRecord[],
    ...(row.last_change !== null
      ? { lastChange: JSON.parse(row.last_change) as DraftRecord['lastChange'] }
      : {}),
  };
}

/** The DraftStore of one SQLite database. */
export function sqliteDrafts(db: Database): DraftStore {
  const insert = db.prepare(
    `INSERT INTO drafts (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  const get = db.prepare<[string], DraftRow>(`SELECT ${COLUMNS} FROM drafts WHERE draft_id = ?`);
  const list = db.prepare<[string, number, number], DraftRow>(
    `SELECT ${COLUMNS} FROM drafts WHERE namespace = ? ORDER BY rowid DESC LIMIT ? OFFSET ?`,
  );
  const advance = db.prepare(
    `UPDATE drafts SET revision = ?, definition = ?, last_change = ?, updated_at = ?
     WHERE draft_id = ? AND revision = ?`,
  );
  const addChange = db.prepare(
    'INSERT INTO draft_changes (draft_id, seq, record) VALUES (?, ?, ?)',
  );
  const changes = db.prepare<[string, number, number], { record: string }>(
    'SELECT record FROM draft_changes WHERE draft_id = ? AND seq > ? ORDER BY seq LIMIT ?',
  );
  const focus = db.prepare('UPDATE drafts SET focus = ?, updated_at = ? WHERE draft_id = ?');
  const commits = db.prepare<[string], { commits: string }>(
    'SELECT commits FROM drafts WHERE draft_id = ?',
  );
  const setCommits = db.prepare('UPDATE drafts SET commits = ?, updated_at = ? WHERE draft_id = ?');
  const remove = db.prepare('DELETE FROM drafts WHERE draft_id = ?');
  const removeChanges = db.prepare('DELETE FROM draft_changes WHERE draft_id = ?');

  const append = db.transaction(
    (
      draftId: string,
      change: DraftChangeRecord,
      definition: unknown,
      revision: number,
      expected: number,
    ): boolean => {
      const mark = { seq: change.seq, by: change.by, kind: change.kind, at: change.at };
      const moved = advance.run(
        revision,
        JSON.stringify(definition),
        JSON.stringify(mark),
        change.at,
        draftId,
        expected,
      );
      if (moved.changes !== 1) return false;
      addChange.run(draftId, change.seq, JSON.stringify(change));
      return true;
    },
  );
  const commit = db.transaction((draftId: string, record: DraftCommitRecord): boolean => {
    const row = commits.get(draftId);
    if (row === undefined) return false;
    const all = JSON.parse(row.commits) as DraftCommitRecord[];
    all.push(record);
    setCommits.run(JSON.stringify(all), record.at, draftId);
    return true;
  });
  const drop = db.transaction((draftId: string): boolean => {
    removeChanges.run(draftId);
    return remove.run(draftId).changes === 1;
  });

  return {
    async createDraft(record) {
      const meta: Meta = {
        ...(record.title !== undefined ? { title: record.title } : {}),
        ...(record.base !== undefined ? { base: record.base } : {}),
        createdBy: record.createdBy,
        createdAt: record.createdAt,
      };
      const res = insert.run(
        record.draftId,
        record.namespace,
        record.revision,
        JSON.stringify(record.definition),
        JSON.stringify(meta),
        record.focus === undefined ? null : JSON.stringify(record.focus),
        JSON.stringify(record.commits),
        record.lastChange === undefined ? null : JSON.stringify(record.lastChange),
        record.updatedAt,
      );
      return res.changes === 1;
    },
    async getDraft(draftId) {
      const row = get.get(draftId);
      return row === undefined ? undefined : fromRow(row);
    },
    async listDrafts(namespace, page = {}) {
      return list.all(namespace, page.limit ?? -1, page.offset ?? 0).map(fromRow);
    },
    async appendDraftChange(draftId, change, definition, revision, expectedRevision) {
      return append.immediate(draftId, change, definition, revision, expectedRevision);
    },
    async draftChanges(draftId, afterSeq, limit) {
      return changes
        .all(draftId, afterSeq, Math.max(0, limit))
        .map((r) => JSON.parse(r.record) as DraftChangeRecord);
    },
    async setDraftFocus(draftId, f) {
      return focus.run(JSON.stringify(f), f.at, draftId).changes === 1;
    },
    async addDraftCommit(draftId, record) {
      return commit.immediate(draftId, record);
    },
    async deleteDraft(draftId) {
      return drop.immediate(draftId);
    },
  };
}
