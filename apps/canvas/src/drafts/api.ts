// The drafts routes (/v1/drafts…), as the canvas calls them: JSON with the session's bearer token,
// refusals as @aob/client's AobApiError (code, detail, every problem), and the draft's live feed
// followed with @aob/client's SSE reader (reconnecting with Last-Event-ID after a drop), as the
// run timelines are.
import { apiErrorFrom, followSse, unreachableFrom } from '@aob/client';
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
const TIMEOUT_MS = 30_000;

export interface DraftApi {
  list(query?: { cursor?: string; limit?: number }): Promise<Page<DraftSummary>>;
  create(body: { from?: string; definition?: unknown; title?: string }): Promise<DraftView>;
  get(draftId: string): Promise<DraftView>;
  /** One change; refused with DRAFT_CONFLICT (409) when the draft is past `expectRevision`. */
  change(draftId: string, ops: JsonPatchOp[], expectRevision?: number): Promise<DraftView>;
  /** Takes back the caller's newest change not undone yet (NOTHING_TO_UNDO when none is left). */
  undo(draftId: string): Promise<DraftView>;
  focus(draftId: string, nodes: string[]): Promise<DraftView>;
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
  const auth = { authorization: `Bearer ${token}` };
  const request = async <T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    query: Record<string, string | number | undefined> = {},
  ): Promise<T> => {
    const url = client.url(path, query);
    const headers: Record<string, string> = { accept: 'application/json', ...auth };
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(TIMEOUT_MS) };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, init);
      text = await res.text();
    } catch (err) {
      throw unreachableFrom(url, err, TIMEOUT_MS);
    }
    if (!res.ok) throw apiErrorFrom(res.status, res.statusText, text);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
  return {
    list: (q = {}) => request('GET', 'v1/drafts', undefined, { ...q }),
    create: (body) => request('POST', 'v1/drafts', body),
    get: (id) => request('GET', `v1/drafts/${seg(id)}`),
    change: (id, ops, expectRevision) =>
      request('POST', `v1/drafts/${seg(id)}/changes`, {
        ops,
        ...(expectRevision !== undefined ? { expectRevision } : {}),
      }),
    undo: (id) => request('POST', `v1/drafts/${seg(id)}/undo`, { mine: true }),
    focus: (id, nodes) => request('POST', `v1/drafts/${seg(id)}/focus`, { nodes }),
    commit: (id, body) => request('POST', `v1/drafts/${seg(id)}/commit`, body),
    changes: (id, after) => request('GET', `v1/drafts/${seg(id)}/changes`, undefined, { after }),
    feed: async function* (id, signal, onReconnect) {
      const events = followSse(client.url(`v1/drafts/${seg(id)}/feed`), {
        headers: auth,
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
