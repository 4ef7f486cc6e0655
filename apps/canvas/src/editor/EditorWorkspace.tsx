// The editor's body, the same for a workflow edited in the browser (EditorPage) and for a draft
// edited on the server (DraftEditorPage): the palette, the graph (drag between handles to
// connect; Delete removes the focused node) and the side panel (the selected node's or edge's
// form, the workflow's, or the JSON). Every change is a function from one definition to the
// next handed to `change`: the page decides what a change is (a step of local history, or a
// JSON Patch sent to the server).
import { useCallback, useEffect, useMemo } from 'react';
import type { ReactNode } from 'react';
import { RunGraph } from '../graph/RunGraph.js';
import type { GraphEdge, GraphNode } from '../graph/RunGraph.js';
import type { EditorDefinition } from './definition.js';
import {
  addNode,
  connect,
  disconnect,
  freshId,
  removeNode,
  updateEdge,
  updateNode,
} from './definition.js';
import { placeProblems } from './problems.js';
import type { PlacedProblems } from './problems.js';
import { initialWith } from './schema-form.js';
import { Palette } from './Palette.js';
import { NodeInspector } from './NodeInspector.js';
import { EdgeInspector } from './EdgeInspector.js';
import { WorkflowInspector } from './WorkflowInspector.js';
import { JsonPanel } from './JsonPanel.js';

export type Selection = { kind: 'node'; id: string } | { kind: 'edge'; index: number } | undefined;
export type Side = 'inspect' | 'json' | 'propose';

/** Ctrl/Cmd+Z undoes and Ctrl/Cmd+Shift+Z (or Ctrl+Y) redoes, anywhere but in a field. */
export function useUndoKeys(undo: () => void, redo?: () => void): void {
  useEffect(() => {
    const onKeyDown = (e: globalThis.KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) return;
      if (!(e.ctrlKey || e.metaKey)) return;
      const key = e.key.toLowerCase();
      if (key === 'z' && !e.shiftKey) undo();
      else if (redo && ((key === 'z' && e.shiftKey) || key === 'y')) redo();
      else return;
      e.preventDefault();
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [undo, redo]);
}

export function EditorWorkspace(props: {
  def: EditorDefinition;
  change: (f: (d: EditorDefinition) => EditorDefinition) => void;
  /** The validator's findings on `def`; undefined while it is being asked. */
  problems: PlacedProblems | undefined;
  selection: Selection;
  setSelection: (s: Selection) => void;
  side: Side;
  setSide: (s: Side) => void;
  /** Shown in place of the forms while side is 'propose'. */
  proposePanel?: ReactNode;
  /** Author badges on nodes someone else just changed; `at` restarts their highlight. */
  marks?: ReadonlyMap<string, { text: string; at: number }>;
  /** Nodes to bring into view and outline; a new `key` does it again. */
  focus?: { nodes: string[]; key: number };
  /** The workflow form's closing hint (which keys undo here). */
  hint?: string;
}) {
  const { def, change, problems, selection, setSelection, side, setSide, marks, focus } = props;

  const onAdd = useCallback(
    (type: string) => {
      const id = freshId(def, type);
      const after = selection?.kind === 'node' ? selection.id : undefined;
      change((d) => addNode(d, { id, type, with: initialWith(type) }, after));
      setSelection({ kind: 'node', id });
      setSide('inspect');
    },
    [def, selection, change, setSelection, setSide],
  );
  const onRemoveNode = useCallback(
    (id: string) => {
      change((d) => removeNode(d, id));
      setSelection(undefined);
    },
    [change, setSelection],
  );
  const onConnect = useCallback(
    (from: string, to: string, on = 'success') => change((d) => connect(d, { from, to, on })),
    [change],
  );

  const focused = useMemo(() => new Set(focus?.nodes ?? []), [focus]);
  const graph = useMemo(() => {
    const placed = problems ?? placeProblems(def, []);
    const nodes: GraphNode[] = def.nodes.map((n) => {
      const found = placed.nodes.get(n.id) ?? [];
      const codes = [...new Set(found.map((p) => p.split(':')[0]))];
      const mark = marks?.get(n.id);
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
        ...(mark ? { badge: mark.text, flash: mark.at } : {}),
        ...(focused.has(n.id) ? { focused: true } : {}),
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
  }, [def, problems, marks, focused]);

  const selectedNode =
    selection?.kind === 'node' ? def.nodes.find((n) => n.id === selection.id) : undefined;
  const selectedEdge = selection?.kind === 'edge' ? def.edges[selection.index] : undefined;
  return (
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
            {...(focus ? { fitTo: focus } : {})}
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
        ) : side === 'propose' && props.proposePanel ? (
          props.proposePanel
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
            {...(props.hint ? { hint: props.hint } : {})}
          />
        )}
        {selection ? (
          <button type="button" className="link" onClick={() => setSelection(undefined)}>
            ← the workflow
          </button>
        ) : null}
      </aside>
    </div>
  );
}
