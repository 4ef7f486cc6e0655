// The workflow editor: a registered workflow (or a new one) on a canvas. Nodes come from the
// palette, ports are connected by dragging between handles or from the node's form, each node's
// `with` is edited through a form generated from the schema, and every change is one undoable
// step. The validator runs as you edit (the server's, the one that decides at registration) and
// its findings sit on the node or edge they concern. Save registers a new version; "Propose to
// run" sends the change to a live run as a patch. Loaded on demand: the first page stays small.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Session } from '../session.js';
import { usePageError } from '../page-error.js';
import { Link, navigate } from '../router.js';
import { RunGraph } from '../graph/RunGraph.js';
import type { GraphEdge, GraphNode } from '../graph/RunGraph.js';
import type { EditorDefinition } from './definition.js';
import {
  addNode,
  connect,
  disconnect,
  freshId,
  nextVersion,
  removeNode,
  updateEdge,
  updateNode,
} from './definition.js';
import { useHistory } from './history.js';
import { placeProblems } from './problems.js';
import type { PlacedProblems } from './problems.js';
import { initialWith } from './schema-form.js';
import { Palette } from './Palette.js';
import { NodeInspector } from './NodeInspector.js';
import { EdgeInspector } from './EdgeInspector.js';
import { WorkflowInspector } from './WorkflowInspector.js';
import { JsonPanel } from './JsonPanel.js';
import { ProposePanel } from './ProposePanel.js';

type Selection = { kind: 'node'; id: string } | { kind: 'edge'; index: number } | undefined;
type Side = 'inspect' | 'json' | 'propose';

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

  const change = history.change;
  const onAdd = useCallback(
    (type: string) => {
      const id = freshId(def, type);
      const after = selection?.kind === 'node' ? selection.id : undefined;
      change((d) => addNode(d, { id, type, with: initialWith(type) }, after));
      setSelection({ kind: 'node', id });
      setSide('inspect');
    },
    [def, selection, change],
  );
  const onRemoveNode = useCallback(
    (id: string) => {
      change((d) => removeNode(d, id));
      setSelection(undefined);
    },
    [change],
  );
  const onConnect = useCallback(
    (from: string, to: string, on = 'success') => change((d) => connect(d, { from, to, on })),
    [change],
  );

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

  // Ctrl/Cmd+Z undoes and Ctrl/Cmd+Shift+Z (or Ctrl+Y) redoes, wherever the focus is on the
  // page, except in a field, where the keys undo typing.
  const { undo, redo } = history;
  useEffect(() => {
    const onKeyDown = (e: globalThis.KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) return;
      if (!(e.ctrlKey || e.metaKey)) return;
      const key = e.key.toLowerCase();
      if (key === 'z' && !e.shiftKey) undo();
      else if ((key === 'z' && e.shiftKey) || key === 'y') redo();
      else return;
      e.preventDefault();
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [undo, redo]);

  const graph = useMemo(() => {
    const placed = problems ?? placeProblems(def, []);
    const nodes: GraphNode[] = def.nodes.map((n) => {
      const found = placed.nodes.get(n.id) ?? [];
      const codes = [...new Set(found.map((p) => p.split(':')[0]))];
      return {
        id: n.id,
        type: n.type,
        status: 'pending',
        attempts: 0,
        problems: found,
        caption:
          problems === undefined
            ? '… checking'
            : codes.length
              ? `⚠ ${codes.join(', ')}`
              : '✓ valid',
      };
    });
    const edges: GraphEdge[] = def.edges.map((e, i) => ({
      from: e.from,
      to: e.to,
      ...(e.on ? { on: e.on } : {}),
      ...(e.when ? { when: e.when } : {}),
      problems: placed.edges.get(i) ?? [],
    }));
    return { nodes, edges };
  }, [def, problems]);

  if (loading) return <p className="empty">Loading…</p>;
  const selectedNode =
    selection?.kind === 'node' ? def.nodes.find((n) => n.id === selection.id) : undefined;
  const selectedEdge = selection?.kind === 'edge' ? def.edges[selection.index] : undefined;
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
      <div className="editor-body">
        <Palette onAdd={onAdd} />
        <div className="run-graph">
          {def.nodes.length === 0 ? (
            <p className="empty">An empty workflow: add a node from the palette.</p>
          ) : (
            <RunGraph
              nodes={graph.nodes}
              edges={graph.edges}
              {...(selection?.kind === 'node' ? { selected: selection.id } : {})}
              onOpen={(id) => {
                setSelection({ kind: 'node', id });
                setSide('inspect');
              }}
              editing={{
                ...(selection?.kind === 'edge' ? { selectedEdge: selection.index } : {}),
                onConnect: (from, to) => onConnect(from, to),
                onEdgeOpen: (index) => {
                  setSelection({ kind: 'edge', index });
                  setSide('inspect');
                },
                onRemove: onRemoveNode,
              }}
            />
          )}
        </div>
        <aside className="run-side">
          {side === 'json' ? (
            <JsonPanel
              def={def}
              onImport={(next) => {
                change(() => next);
                setSelection(undefined);
              }}
            />
          ) : side === 'propose' && base ? (
            <ProposePanel session={session} base={base} edited={def} onError={fail} />
          ) : selectedNode ? (
            <NodeInspector
              key={selectedNode.id}
              def={def}
              node={selectedNode}
              problems={problems?.nodes.get(selectedNode.id) ?? []}
              onChange={(next) => {
                change((d) => updateNode(d, selectedNode.id, next));
                if (next.id !== selectedNode.id) setSelection({ kind: 'node', id: next.id });
              }}
              onRemove={() => onRemoveNode(selectedNode.id)}
              onConnect={(to, on) => onConnect(selectedNode.id, to, on)}
              onSelectEdge={(index) => setSelection({ kind: 'edge', index })}
            />
          ) : selectedEdge && selection?.kind === 'edge' ? (
            <EdgeInspector
              edge={selectedEdge}
              problems={problems?.edges.get(selection.index) ?? []}
              onChange={(c) => change((d) => updateEdge(d, selection.index, c))}
              onRemove={() => {
                change((d) => disconnect(d, selection.index));
                setSelection(undefined);
              }}
            />
          ) : (
            <WorkflowInspector
              def={def}
              problems={problems?.workflow ?? []}
              onChange={(next) => change(() => next)}
            />
          )}
          {selection ? (
            <button type="button" className="link" onClick={() => setSelection(undefined)}>
              ← the workflow
            </button>
          ) : null}
        </aside>
      </div>
    </section>
  );
}
