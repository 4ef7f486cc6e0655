// The namespace's drafts (/drafts): workflows being edited on the server, by people and agents,
// each with its title, the workflow it started from, its revision, its problems and its last
// change. "New draft" starts one, blank or from a registered workflow, and opens it.
import { useEffect, useMemo, useState } from 'react';
import type { FormEvent } from 'react';
import type { WorkflowView } from '@aob/client';
import type { Session } from '../session.js';
import { usePageError } from '../page-error.js';
import { Link, navigate } from '../router.js';
import { draftApi } from './api.js';
import type { DraftApi } from './api.js';
import type { DraftSummary } from './types.js';
import { ago, authorLabel, baseRef, draftName } from './live.js';

const PAGE = 100;

/** Starts a draft and opens it in the editor. */
export async function openNewDraft(
  api: DraftApi,
  body: { from?: string; title?: string },
): Promise<void> {
  const draft = await api.create(body);
  navigate(`/drafts/${encodeURIComponent(draft.draftId)}`);
}

export function DraftsPage(props: { session: Session; onAuthFailure: (e: unknown) => void }) {
  const { session, onAuthFailure } = props;
  const api = useMemo(() => draftApi(session), [session]);
  const [drafts, setDrafts] = useState<DraftSummary[]>();
  const [cursor, setCursor] = useState<string>();
  const [creating, setCreating] = useState(false);
  const { error, fail } = usePageError(onAuthFailure);
  const now = Date.now();

  const load = async (more?: string) => {
    const page = await api.list({ limit: PAGE, ...(more ? { cursor: more } : {}) });
    setDrafts((prev) => (more ? [...(prev ?? []), ...page.items] : page.items));
    setCursor(page.nextCursor);
  };
  useEffect(() => {
    load().catch(fail);
    // Read once per visit; "More" reads on.
  }, [api]);

  return (
    <section>
      <header className="page-header">
        <h1>Drafts</h1>
        <button
          type="button"
          className="primary"
          aria-expanded={creating}
          onClick={() => setCreating(!creating)}
        >
          New draft
        </button>
      </header>
      {creating ? <NewDraftForm session={session} api={api} onError={fail} /> : null}
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {drafts === undefined ? (
        <p className="empty">Loading…</p>
      ) : drafts.length === 0 ? (
        <p className="empty">
          No drafts yet. Start one here, open a workflow as a draft from Workflows, or let an agent
          draw one (the canvas_open MCP tool).
        </p>
      ) : (
        <table className="runs drafts">
          <thead>
            <tr>
              <th scope="col">Draft</th>
              <th scope="col">From</th>
              <th scope="col">Revision</th>
              <th scope="col">Problems</th>
              <th scope="col">Last change</th>
            </tr>
          </thead>
          <tbody>
            {drafts.map((d) => {
              const problems = Array.isArray(d.problems) ? d.problems.length : d.problems;
              const last = d.lastChange;
              return (
                <tr key={d.draftId} data-draft-id={d.draftId}>
                  <td>
                    <Link href={`/drafts/${encodeURIComponent(d.draftId)}`}>{draftName(d)}</Link>
                  </td>
                  <td>{baseRef(d.base) ?? <span className="muted">blank</span>}</td>
                  <td>{d.revision}</td>
                  <td>
                    {problems === undefined ? (
                      '—'
                    ) : problems === 0 ? (
                      <span className="status status-succeeded">✓ none</span>
                    ) : (
                      <span className="status status-failed">⚠ {problems}</span>
                    )}
                  </td>
                  <td>
                    {last ? (
                      <>
                        {authorLabel(last.by)}
                        {last.kind === 'undo' ? ' (undo)' : ''}{' '}
                        <span className="muted">{ago(last.at, now)}</span>
                      </>
                    ) : (
                      <>
                        opened by {authorLabel(d.createdBy)}{' '}
                        <span className="muted">{ago(d.createdAt, now)}</span>
                      </>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {cursor ? (
        <button type="button" onClick={() => load(cursor).catch(fail)}>
          More
        </button>
      ) : null}
    </section>
  );
}

function NewDraftForm(props: { session: Session; api: DraftApi; onError: (e: unknown) => void }) {
  const { session, api, onError } = props;
  const [workflows, setWorkflows] = useState<WorkflowView[]>([]);
  const [title, setTitle] = useState('');
  const [from, setFrom] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    session.client
      .all((cursor) => session.client.listWorkflows({ cursor }))
      .then((all) => setWorkflows([...all].sort((a, b) => b.registeredAt - a.registeredAt)))
      .catch(onError);
  }, [session, onError]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    openNewDraft(api, { ...(title ? { title } : {}), ...(from ? { from } : {}) })
      .catch(onError)
      .finally(() => setBusy(false));
  };
  return (
    <form className="card new-draft" onSubmit={submit} aria-label="new draft">
      <div className="field">
        <label htmlFor="draft-title">Title</label>
        <input
          id="draft-title"
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          placeholder="what this draft is for"
          autoFocus
        />
      </div>
      <div className="field">
        <label htmlFor="draft-from">Start from</label>
        <select id="draft-from" value={from} onChange={(e) => setFrom(e.target.value)}>
          <option value="">a blank workflow</option>
          {workflows.map((w) => (
            <option key={`${w.name}@${w.version}`} value={`${w.name}@${w.version}`}>
              {w.name}@{w.version}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="primary" disabled={busy}>
        Create and open
      </button>
    </form>
  );
}
