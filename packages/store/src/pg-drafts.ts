// Drafts in PostgreSQL (DraftStore), for the cluster store: tables `drafts` and `draft_changes`
// (migration 10). A change is one statement: the compare-and-set of the draft's revision and,
// only if it moved, the insert of the change's row — two writers that read the same revision
// cannot both append (the second UPDATE waits on the row, then finds the revision moved).
import type { Pool } from 'pg';
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
  definition: unknown;
  meta: Meta;
  focus: DraftFocus | null;
  commits: DraftCommitRecord[];
  last_change: DraftRecord['lastChange'] | null;
  /** BIGINT: a string. */
  updated_at: string;
}

interface Meta {
  title?: string;
  base?: DraftRecord['base'];
  createdBy: string;
  createdAt: number;
}

const COLUMNS =
  'draft_id, namespace, revision, definition, meta, focus, commits, last_change, updated_at';

const INSERT = `INSERT INTO drafts (${COLUMNS})
  VALUES ($1, $2, $3, $4::json, $5::json, $6::jsonb, $7::jsonb, $8::jsonb, $9)
  ON CONFLICT (draft_id) DO NOTHING`;

const GET = `SELECT ${COLUMNS} FROM drafts WHERE draft_id = $1`;

const LIST = `SELECT ${COLUMNS} FROM drafts WHERE namespace = $1 ORDER BY ord DESC
  LIMIT $2 OFFSET $3`;

const APPEND = `WITH moved AS (
    UPDATE drafts SET revision = $3, definition = $4::json, last_change = $5::jsonb, updated_at = $6
    WHERE draft_id = $1 AND revision = $2
    RETURNING draft_id)
  INSERT INTO draft_changes (draft_id, seq, record)
  SELECT draft_id, $3, $7::json FROM moved`;

const CHANGES = `SELECT record FROM draft_changes WHERE draft_id = $1 AND seq > $2
  ORDER BY seq LIMIT $3`;

const FOCUS = 'UPDATE drafts SET focus = $2::jsonb, updated_at = $3 WHERE draft_id = $1';

const COMMIT = `UPDATE drafts SET commits = commits || jsonb_build_array($2::jsonb), updated_at = $3
  WHERE draft_id = $1`;

const DELETE = 'DELETE FROM drafts WHERE draft_id = $1';

function fromRow(row: DraftRow): DraftRecord {
  const meta = row.meta;
  return {
    draftId: row.draft_id,
    namespace: row.namespace,
    ...(meta.title !== undefined ? { title: meta.title } : {}),
    ...(meta.base !== undefined ? { base: meta.base } : {}),
    definition: row.definition,
    revision: row.revision,
    ...(row.focus !== null ? { focus: row.focus } : {}),
    createdBy: meta.createdBy,
    createdAt: meta.createdAt,
    updatedAt: Number(row.updated_at),
    commits: row.commits,
    ...(row.last_change !== null ? { lastChange: row.last_change } : {}),
  };
}

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

/** The DraftStore of one PostgreSQL pool. */
export function pgDrafts(pool: Pool): DraftStore {
  return {
    async createDraft(record) {
      const meta: Meta = {
        ...(record.title !== undefined ? { title: record.title } : {}),
        ...(record.base !== undefined ? { base: record.base } : {}),
        createdBy: record.createdBy,
        createdAt: record.createdAt,
      };
      const res = await pool.query(INSERT, [
        record.draftId,
        record.namespace,
        record.revision,
        JSON.stringify(record.definition),
        JSON.stringify(meta),
        json(record.focus),
        JSON.stringify(record.commits),
        json(record.lastChange),
        record.updatedAt,
      ]);
      return res.rowCount === 1;
    },
    async getDraft(draftId) {
      const { rows } = await pool.query<DraftRow>(GET, [draftId]);
      return rows[0] === undefined ? undefined : fromRow(rows[0]);
    },
    async listDrafts(namespace, page = {}) {
      const { rows } = await pool.query<DraftRow>(LIST, [
        namespace,
        page.limit ?? null,
        page.offset ?? 0,
      ]);
      return rows.map(fromRow);
    },
    async appendDraftChange(draftId, change, definition, revision, expectedRevision) {
      const mark = { seq: change.seq, by: change.by, kind: change.kind, at: change.at };
      const res = await pool.query(APPEND, [
        draftId,
        expectedRevision,
        revision,
        JSON.stringify(definition),
        JSON.stringify(mark),
        change.at,
        JSON.stringify(change),
      ]);
      return res.rowCount === 1;
    },
    async draftChanges(draftId, afterSeq, limit) {
      const { rows } = await pool.query<{ record: DraftChangeRecord }>(CHANGES, [
        draftId,
        afterSeq,
        Math.max(0, limit),
      ]);
      return rows.map((r) => r.record);
    },
    async setDraftFocus(draftId, focus) {
      const res = await pool.query(FOCUS, [draftId, JSON.stringify(focus), focus.at]);
      return res.rowCount === 1;
    },
    async addDraftCommit(draftId, commit) {
      const res = await pool.query(COMMIT, [draftId, JSON.stringify(commit), commit.at]);
      return res.rowCount === 1;
    },
    async deleteDraft(draftId) {
      const res = await pool.query(DELETE, [draftId]);
      return res.rowCount === 1;
    },
  };
}
