// The workflow editor: a registered workflow (or a new one) on a canvas. Nodes come from the
// palette, ports are connected by dragging between handles or from the node's form, each node's
// `with` is edited through a form generated from the schema, and every change is one undoable
// step. The validator runs as you edit (the server's, the one that decides at registration) and
// its findings sit on the node or edge they concern. Save registers a new version; "Propose to
// run" sends the change to a live run as a patch. Loaded on demand: the first page stays small.
import { useEffect, useState } from 'react';
import type { Session } from '../session.js';
import { usePageError } from '../page-error.js';
import { Link, navigate } from '../router.js';
import type { EditorDefinition } from './definition.js';
import { nextVersion } from './definition.js';
import { useHistory } from './history.js';
import { placeProblems } from './problems.js';
import type { PlacedProblems } from './problems.js';
import { ProposePanel } from './ProposePanel.js';
import { EditorWorkspace, useUndoKeys } from './EditorWorkspace.js';
import type { Selection, Side } from './EditorWorkspace.js';

const EMPTY: EditorDefinition = { name: '', version: '1', nodes: [], edges: [] };
/** How long typing may pause before the validator is asked. */
const VALIDATE_AFTER_MS = 250;

/** Said once by the page that a save navigated to (the save happened on the previous page). */
let savedNotice: string | undefined;

export default function EditorPage(props: {
  session: Session;
  /** The registered workflow to start from; none for a new one. */
  workflow?: { name: string; version: string };
  onAuthFailure: (e: unknown) => void;
}) {
  const { session, workflow, onAuthFailure } = props;
  const history = useHistory<EditorDefinition>(EMPTY);
  const def = history.value;
  const [base, setBase] = useState<EditorDefinition>();
  const [versions, setVersions] = useState<string[]>([]);
  const [loading, setLoading] = useState(workflow !== undefined);
  const [selection, setSelection] = useState<Selection>();
  const [side, setSide] = useState<Side>('inspect');
  const [problems, setProblems] = useState<PlacedProblems>();
  const [notice, setNotice] = useState(() => {
    const n = savedNotice;
    savedNotice = undefined;
    return n;
  });
  const { error, setError, fail } = usePageError(onAuthFailure);

  // The workflow to start from, and its name's versions (Save offers the next one).
  useEffect(() => {
    void (async () => {
      try {
        const all = await session.client.all((cursor) => session.client.listWorkflows({ cursor }));
        if (!workflow) {
          history.reset(EMPTY);
          return;
        }
        const taken = all.filter((w) => w.name === workflow.name).map((w) => w.version);
        const shown = await session.client.showWorkflow(`${workflow.name}@${workflow.version}`);
        const opened = { edges: [], ...shown.definition } as unknown as EditorDefinition;
        setBase(opened);
        setVersions(taken);
        history.reset({ ...opened, version: nextVersion(taken) });
      } catch (err) {
        fail(err);
      } finally {
        setLoading(false);
      }
    })();
    // Loaded once per page (the page is keyed by its path).
  }, []);

  // The validator's verdict on what is on the canvas, a moment after the last change.
  useEffect(() => {
    if (loading) return;
    let stale = false;
    const timer = setTimeout(() => {
      session.client
        .validateWorkflow(def)
        .then((r) => {
          if (!stale) setProblems(placeProblems(def, r.errors));
        })
        .catch((err: unknown) => {
          if (!stale) fail(err);
        });
    }, VALIDATE_AFTER_MS);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [session, def, loading, fail]);

  const save = async () => {
    setError(undefined);
    try {
      const saved = await session.client.registerWorkflow(def);
      savedNotice = `Saved ${saved.name}@${saved.version}.`;
      navigate(
        `/workflows/${encodeURIComponent(saved.name)}/${encodeURIComponent(saved.version)}/edit`,
      );
    } catch (err) {
      fail(err);
    }
  };

  // Ctrl/Cmd+Z undoes and Ctrl/Cmd+Shift+Z (or Ctrl+Y) redoes, outside a field.
  useUndoKeys(history.undo, history.redo);

  if (loading) return <p className="empty">Loading…</p>;
  const count = problems?.count ?? 0;
  const title = workflow ? `${workflow.name}@${workflow.version}` : 'New workflow';
  return (
    <section className="editor-page">
      <header className="page-header">
        <h1>
          <Link href="/workflows">Workflows</Link> / {title}
        </h1>
        <span
          className={`status ${count ? 'status-failed' : 'status-succeeded'}`}
          role="status"
          data-problem-count={problems ? count : undefined}
        >
          {problems === undefined
            ? 'checking…'
            : count
              ? `⚠ ${count} problem${count === 1 ? '' : 's'}`
              : '✓ valid'}
        </span>
        <div className="actions" role="toolbar" aria-label="editor">
          <button type="button" disabled={!history.canUndo} onClick={history.undo}>
            Undo
          </button>
          <button type="button" disabled={!history.canRedo} onClick={history.redo}>
            Redo
          </button>
          <button
            type="button"
            aria-pressed={side === 'json'}
            onClick={() => setSide(side === 'json' ? 'inspect' : 'json')}
          >
            JSON
          </button>
          {versions.length > 1 && workflow ? (
            <Link
              href={`/workflows/${encodeURIComponent(workflow.name)}/diff/${encodeURIComponent(
                versions.filter((v) => v !== workflow.version).at(-1)!,
              )}/${encodeURIComponent(workflow.version)}`}
            >
              Compare versions
            </Link>
          ) : null}
          <button
            type="button"
            disabled={!base}
            title={base ? undefined : 'Open a registered version to propose changes to its runs'}
            aria-pressed={side === 'propose'}
            onClick={() => setSide(side === 'propose' ? 'inspect' : 'propose')}
          >
            Propose to run
          </button>
          <button
            type="button"
            className="primary"
            disabled={problems === undefined || count > 0}
            title={
              count > 0 ? `Fix ${count} problems to save` : `Register ${def.name}@${def.version}`
            }
            onClick={() => void save()}
          >
            Save
          </button>
        </div>
      </header>
      {notice ? (
        <p role="status" className="notice">
          {notice}{' '}
          <button type="button" className="link" onClick={() => setNotice(undefined)}>
            dismiss
          </button>
        </p>
      ) : null}
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      <EditorWorkspace
        def={def}
        change={history.change}
        problems={problems}
        selection={selection}
        setSelection={setSelection}
        side={side}
        setSide={setSide}
        {...(base
          ? {
              proposePanel: (
                <ProposePanel session={session} base={base} edited={def} onError={fail} />
              ),
            }
          : {})}
      />
    </section>
  );
}
