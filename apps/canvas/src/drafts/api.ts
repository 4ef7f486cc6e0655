// The drafts routes as the canvas uses them: @aob/client's methods (one place for each route's
// shape), with the definition read in the editor's shape, and the draft's live feed, which the
// client has no method for, followed with @aob/client's SSE reader and the session's token, as
// the client follows run timelines (reconnecting after a drop; the first event of each
// connection is the draft as it is).
import { followSse } from '@aob/client';
import type { Page, PatchView } from '@aob/client';
import type { Session } from '../session.js';
import type {
  DraftChange,
  DraftCommitRequest,
  DraftFeedEvent,
  DraftSummary,
  DraftView,
  JsonPatchOp,
} from './types.js';

const seg = encodeURIComponent;

export interface DraftApi {
  list(query?: { cursor?: string; limit?: number }): Promise<Page<DraftSummary>>;
  create(body: { from?: string; definition?: unknown; title?: string }): Promise<DraftView>;
  get(draftId: string): Promise<DraftView>;
  /** One change; refused with DRAFT_CONFLICT (409) when the draft is past `expectRevision`. */
  change(draftId: string, ops: JsonPatchOp[], expectRevision?: number): Promise<DraftView>;
  /** Takes back the caller's newest change not undone yet (NOTHING_TO_UNDO when none is left). */
  undo(draftId: string): Promise<DraftView>;
  commit(draftId: string, body: DraftCommitRequest): Promise<unknown>;
  changes(draftId: string, after?: number): Promise<{ changes: DraftChange[] }>;
  /** The draft's feed: its first event is the draft as it is now. */
  feed(
    draftId: string,
    signal: AbortSignal,
    onReconnect: (reason: string) => void,
  ): AsyncIterable<DraftFeedEvent>;
}

export function draftApi(session: Pick<Session, 'client' | 'token'>): DraftApi {
  const { client, token } = session;
  const asEditor = (view: Promise<unknown>) => view as Promise<DraftView>;
  return {
    list: (q = {}) => client.listDrafts(q) as Promise<unknown> as Promise<Page<DraftSummary>>,
    create: (body) => asEditor(client.openDraft(body)),
    get: (id) => asEditor(client.getDraft(id)),
    change: (id, ops, expectRevision) =>
      asEditor(
        client.changeDraft(id, {
          ops,
          ...(expectRevision !== undefined ? { expectRevision } : {}),
        }),
      ),
    undo: (id) => asEditor(client.undoDraft(id, { mine: true })),
    commit: (id, body) => client.commitDraft(id, body),
    changes: (id, after) =>
      client.draftChanges(id, after !== undefined ? { after } : {}) as Promise<{
        changes: DraftChange[];
      }>,
    feed: async function* (id, signal, onReconnect) {
      const events = followSse(client.url(`v1/drafts/${seg(id)}/feed`), {
        headers: { authorization: `Bearer ${token}` },
        signal,
        onReconnect: (r) => onReconnect(r.reason),
      });
      for await (const e of events) {
        if (e.event !== 'draft') continue;
        const event = JSON.parse(e.data) as DraftFeedEvent;
        yield event;
        // Nothing follows a deletion (the feed would answer 404 if followed again).
        if (event.kind === 'deleted') return;
      }
    },
  };
}

/** What a commit answered, whichever of its shapes: the draft, the version, the patch. */
export function readCommit(
  res: unknown,
  def: { name?: unknown; version?: unknown },
): { draft?: DraftView; workflow?: string; patch?: PatchView } {
  const o = (res && typeof res === 'object' ? res : {}) as Record<string, unknown>;
  const isDraft = (v: unknown): v is DraftView =>
    !!v && typeof v === 'object' && 'draftId' in v && 'revision' in v && 'definition' in v;
  const isPatch = (v: unknown): v is PatchView =>
    !!v && typeof v === 'object' && 'patchId' in v && 'status' in v;
  const out: { draft?: DraftView; workflow?: string; patch?: PatchView } = {};
  const draft = isDraft(o.draft) ? o.draft : isDraft(o) ? o : undefined;
  if (draft) out.draft = draft;
  const patch = isPatch(o.patch) ? o.patch : isPatch(o) ? o : undefined;
  if (patch) out.patch = patch;
  const w = o.workflow as { name?: unknown; version?: unknown } | string | undefined;
  const lastCommit = draft?.commits.at(-1);
  if (typeof w === 'string') out.workflow = w;
  else if (w && typeof w.name === 'string' && typeof w.version === 'string') {
    out.workflow = `${w.name}@${w.version}`;
  } else if (typeof o.name === 'string' && typeof o.version === 'string') {
    out.workflow = `${o.name}@${o.version}`;
  } else if (typeof lastCommit?.workflow === 'string') out.workflow = lastCommit.workflow;
  else if (!patch && typeof def.name === 'string' && typeof def.version === 'string') {
    out.workflow = `${def.name}@${def.version}`;
  }
  return out;
}
