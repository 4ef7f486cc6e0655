// The editor on a draft (/drafts/:draftId): the same palette, graph and forms as the workflow
// editor, but the server's draft is the truth. Each edit is sent as a JSON Patch; an agent's or
// a colleague's changes arrive over the draft's feed within a moment, flash on the graph with
// their author's name, and leave the person's selection where it was; a focus request outlines
// the nodes it names and brings them into view. Undo (Ctrl/Cmd+Z) undoes on the server. The
// draft's problems, its recent activity, "Commit as version" (once nothing is wrong) and
// "Propose to a run" sit around the graph.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Session } from '../session.js';
import { usePageError } from '../page-error.js';
import { Link } from '../router.js';
import { Banner } from '../views/Banner.js';
import { EditorWorkspace, useUndoKeys } from '../editor/EditorWorkspace.js';
import type { Selection, Side } from '../editor/EditorWorkspace.js';
import { placeProblems } from '../editor/problems.js';
import { ProposeForm } from '../editor/ProposePanel.js';
import type { EditorDefinition } from '../editor/definition.js';
import { draftApi, readCommit } from './api.js';
import { ago, authorLabel, baseRef, draftName, editable, remapSelection } from './live.js';
import { useDraft } from './useDraft.js';
import type { DraftState } from './useDraft.js';

/** How long the nodes someone pointed at stay outlined. */
const FOCUS_SHOWN_MS = 10_000;

const enc = encodeURIComponent;

export default function DraftEditorPage(props: {
  session: Session;
  draftId: string;
  onAuthFailure: (e: unknown) => void;
}) {
  const { session, draftId, onAuthFailure } = props;
  const api = useMemo(() => draftApi(session), [session]);
  const { error, setError, fail } = usePageError(onAuthFailure);
  const draft = useDraft(api, draftId, fail, session.me.subject);
  const { view, shown } = draft;
  const [selection, setSelection] = useState<Selection>();
  const [side, setSide] = useState<Side>('inspect');
  const [committed, setCommitted] = useState<string>();
  const [committing, setCommitting] = useState(false);
  const now = useNow(15_000);

  // The selection follows the graph: the same node or edge wherever it now is, or nothing.
  const previous = useRef<EditorDefinition | undefined>(undefined);
  useEffect(() => {
    const before = previous.current;
    previous.current = shown;
    if (before && shown && before !== shown) setSelection((s) => remapSelection(s, before, shown));
  }, [shown]);

  // Someone pointed at nodes: outline them, bring them into view, and select the first unless
  // the person is typing in a form.
  const [focusShown, setFocusShown] = useState<{ nodes: string[]; key: number }>();
  useEffect(() => {
    const f = draft.focus;
    if (!f) return;
    setFocusShown({ nodes: f.nodes, key: f.key });
    const active = document.activeElement?.tagName ?? '';
    const first = f.nodes[0];
    if (first && !['INPUT', 'TEXTAREA', 'SELECT'].includes(active)) {
      setSelection({ kind: 'node', id: first });
      setSide('inspect');
    }
    const timer = setTimeout(
      () => setFocusShown((s) => (s?.key === f.key ? { nodes: [], key: f.key } : s)),
      FOCUS_SHOWN_MS,
    );
    return () => clearTimeout(timer);
  }, [draft.focus]);

  useUndoKeys(draft.undo);

  const problems = useMemo(
    () => (view ? placeProblems(editable(view.definition), view.problems) : undefined),
    [view],
  );

  const commit = async () => {
    if (!view) return;
    setCommitting(true);
    setError(undefined);
    try {
      const out = readCommit(await api.commit(draftId, { as: 'version' }), view.definition);
      if (out.draft) draft.accept(out.draft);
      setCommitted(out.workflow ?? `${view.definition.name}@${view.definition.version}`);
    } catch (err) {
      fail(err);
    } finally {
      setCommitting(false);
    }
  };

  if (!view || !shown) {
    return error ? (
      <p role="alert" className="error">
        {error}
      </p>
    ) : (
      <p className="empty">Loading the draft…</p>
    );
  }
  const count = view.problems.length;
  const base = baseRef(view.base);
  const name = draftName(view);
  const commitBlocked =
    count > 0
      ? `Fix ${count} problem${count === 1 ? '' : 's'} to commit.`
      : draft.pending > 0
        ? 'Saving your edit…'
        : draft.deleted
          ? 'The draft was deleted.'
          : undefined;
  const [wfName, wfVersion] = committed?.split('@') ?? [];
  return (
    <section className="editor-page draft-page" data-revision={view.revision}>
      <Banner connection={draft.connection} />
      <header className="page-header">
        <h1>
          <Link href="/drafts">Drafts</Link> / {name}
        </h1>
        <span className="muted draft-meta">
          {base ? `from ${base} · ` : ''}revision {view.revision}
          {draft.pending > 0 ? ' · saving…' : ''}
        </span>
        <span
          className={`status ${count ? 'status-failed' : 'status-succeeded'}`}
          role="status"
          data-problem-count={count}
        >
          {count ? `⚠ ${count} problem${count === 1 ? '' : 's'}` : '✓ valid'}
        </span>
        <div className="actions" role="toolbar" aria-label="draft">
          <button
            type="button"
            onClick={draft.undo}
            disabled={draft.deleted}
            title="Undo your last change to the draft (Ctrl+Z)"
          >
            Undo
          </button>
          <button
            type="button"
            aria-pressed={side === 'json'}
            onClick={() => setSide(side === 'json' ? 'inspect' : 'json')}
          >
            JSON
          </button>
          <button
            type="button"
            disabled={!base}
            title={
              base
                ? `Send this draft to a live run of ${base}`
                : 'This draft did not start from a registered workflow: it has no runs'
            }
            aria-pressed={side === 'propose'}
            onClick={() => setSide(side === 'propose' ? 'inspect' : 'propose')}
          >
            Propose to a run
          </button>
          <button
            type="button"
            className="primary"
            disabled={commitBlocked !== undefined || committing}
            aria-describedby={commitBlocked ? 'commit-blocked' : undefined}
            onClick={() => void commit()}
          >
            Commit as version
          </button>
          {commitBlocked ? (
            <span id="commit-blocked" className="muted">
              {commitBlocked}
            </span>
          ) : null}
        </div>
      </header>
      {committed ? (
        <p role="status" className="notice">
          Committed as{' '}
          <Link href={`/workflows/${enc(wfName ?? '')}/${enc(wfVersion ?? '')}/edit`}>
            {committed}
          </Link>
          : run it with <code>aob run start {committed}</code>.{' '}
          <button type="button" className="link" onClick={() => setCommitted(undefined)}>
            dismiss
          </button>
        </p>
      ) : null}
      {draft.notice ? (
        <p role="status" className="notice notice-warn">
          {draft.notice}{' '}
          <button type="button" className="link" onClick={draft.dismissNotice}>
            dismiss
          </button>
        </p>
      ) : null}
      {draft.refusal ? (
        <div role="alert" className="card refused">
          <div>
            <p className="error">
              <strong>Refused, nothing changed:</strong> {draft.refusal.detail}
            </p>
            {draft.refusal.problems.length > 0 ? (
              <ul>
                {draft.refusal.problems.map((p, i) => (
                  <li key={i}>
                    <code>{p.code}</code> at <code>{p.path || '/'}</code>: {p.message}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
          <button type="button" className="link" onClick={draft.dismissRefusal}>
            dismiss
          </button>
        </div>
      ) : null}
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      <EditorWorkspace
        def={shown}
        change={draft.change}
        problems={problems}
        selection={selection}
        setSelection={setSelection}
        side={side}
        setSide={setSide}
        marks={draft.marks}
        {...(focusShown ? { focus: focusShown } : {})}
        hint="Ctrl+Z undoes your last change to the draft (others' stay)."
        {...(base
          ? {
              proposePanel: (
                <ProposeForm
                  session={session}
                  workflow={base}
                  what={`The draft's changes from ${base}, as a patch to one of its live runs.`}
                  canSend={draft.pending === 0}
                  send={async (runId, rationale) =>
                    readCommit(
                      await api.commit(draftId, {
                        as: 'patch',
                        runId,
                        ...(rationale ? { rationale } : {}),
                      }),
                      view.definition,
                    ).patch
                  }
                  onError={fail}
                />
              ),
            }
          : {})}
      />
      <div className="draft-strip">
        <ProblemList
          problems={view.problems}
          def={shown}
          onSelect={(s) => {
            setSelection(s);
            setSide('inspect');
          }}
        />
        <Activity
          entries={draft.activity}
          now={now}
          exists={(id) => shown.nodes.some((n) => n.id === id)}
          onSelect={(id) => {
            setSelection({ kind: 'node', id });
            setSide('inspect');
          }}
        />
      </div>
    </section>
  );
}

/** The draft's problems, each a button to its node or edge when it names one. */
function ProblemList(props: {
  problems: { code: string; path: string; message: string }[];
  def: EditorDefinition;
  onSelect: (s: Selection) => void;
}) {
  const { problems, def } = props;
  const target = (path: string): Selection => {
    const node = /^\/nodes\/(\d+)(?:\/|$)/.exec(path);
    const id = node ? def.nodes[Number(node[1])]?.id : undefined;
    if (id) return { kind: 'node', id };
    const edge = /^\/edges\/(\d+)(?:\/|$)/.exec(path);
    if (edge && Number(edge[1]) < def.edges.length) return { kind: 'edge', index: Number(edge[1]) };
    return undefined;
  };
  return (
    <section className="card draft-problems" aria-labelledby="draft-problems-title">
      <h2 id="draft-problems-title">
        Problems <span className="muted">({problems.length})</span>
      </h2>
      {problems.length === 0 ? (
        <p className="muted">None: the draft can be committed.</p>
      ) : (
        <ul>
          {problems.map((p, i) => {
            const to = target(p.path);
            const text = (
              <>
                <code>{p.code}</code> {p.message}
                {p.path ? <span className="muted"> at {p.path}</span> : null}
              </>
            );
            return (
              <li key={i}>
                {to ? (
                  <button type="button" className="link" onClick={() => props.onSelect(to)}>
                    {text}
                  </button>
                ) : (
                  text
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

/** Recent changes, newest first: who, what, when; each selects the node it touched. */
function Activity(props: {
  entries: DraftState['activity'];
  now: number;
  exists: (id: string) => boolean;
  onSelect: (id: string) => void;
}) {
  const { entries, now, exists, onSelect } = props;
  return (
    <section className="card draft-activity" aria-labelledby="draft-activity-title">
      <h2 id="draft-activity-title">Activity</h2>
      {entries.length === 0 ? (
        <p className="muted">No changes yet.</p>
      ) : (
        <ol aria-live="polite">
          {entries.map((e) => {
            const node = e.nodes.find(exists);
            return (
              <li key={e.key} data-kind={e.kind}>
                <strong>{authorLabel(e.by)}</strong>{' '}
                {node ? (
                  <button type="button" className="link" onClick={() => onSelect(node)}>
                    {e.what}
                  </button>
                ) : (
                  <span>{e.what}</span>
                )}
                {e.kind !== 'change' && e.kind !== 'focus' ? (
                  <span className="kind"> ({e.kind})</span>
                ) : null}{' '}
                <span className="muted">{ago(e.at, now)}</span>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

/** The time now, again every `everyMs` (for "42 s ago"). */
function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
