// The graph of a run: its workflow laid out left to right, each node with its type, status
// (colour, icon and word), attempts and duration; edges the run took drawn strong, the others
// dimmed, failure edges dashed red. Nodes are focusable and open their panel on Enter or click.
// The editor draws with it too: then handles connect nodes, edges can be selected, and the
// validator's findings sit on the node or edge they concern. On a draft, a node someone else just
// changed flashes and carries their name, and the nodes someone points at are outlined and
// brought into view.
import { useEffect, useMemo } from 'react';
import {
  Handle,
  Position,
  ReactFlow,
  Background,
  Controls,
  useNodesInitialized,
  useReactFlow,
} from '@xyflow/react';
import type { Edge, Node, NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { STATUS_ICON, formatDuration } from '../status.js';
import { NODE_HEIGHT, NODE_WIDTH, layout } from './layout.js';
import { navigate } from '../router.js';

// Type aliases, not interfaces: React Flow's node data must be assignable to a plain record.
export type GraphNode = {
  id: string;
  type: string;
  status: string;
  attempts: number;
  durationMs?: number;
  /** In a patch's diff: what the patch does to this node. */
  diff?: 'added' | 'removed' | 'changed';
  /** Validator findings placed on this node. */
  problems?: string[];
  /** A map node's items: done, failed and running of the total. */
  progress?: { total: number; done: number; failed: number; running: number };
  /** A subworkflow node's child run. */
  childRunId?: string;
  /** Shown instead of the status (the editor's "valid" or finding codes). */
  caption?: string;
  /** Who just changed it, on a draft ("added by claude (agent)"). */
  badge?: string;
  /** When that change was seen: a new value flashes the node again. */
  flash?: number;
  /** Someone pointed at it (a draft's focus). */
  focused?: boolean;
};

export interface GraphEdge {
  from: string;
  to: string;
  on?: string;
  when?: string;
  /** In a patch's diff: what the patch does to this edge. */
  diff?: 'added' | 'removed';
  /** Validator findings placed on this edge (`CODE: message`). */
  problems?: string[];
}

type AobNodeData = GraphNode & {
  selected: boolean;
  onOpen: (id: string) => void;
  onNavigate: (path: string) => void;
  /** Moves keyboard focus to a neighbour: arrows follow edges (←/→) and layers (↑/↓). */
  onMove: (id: string, key: string) => void;
  /** In the editor: Delete or Backspace removes the node. */
  onRemove?: (id: string) => void;
  connectable: boolean;
};

function AobNode({ data }: NodeProps<Node<AobNodeData>>) {
  return (
    <div
      className={`graph-node status-${data.status}${data.selected ? ' selected' : ''}${data.diff ? ` diff-${data.diff}` : ''}${data.problems?.length ? ' has-problems' : ''}${data.focused ? ' focused' : ''}${data.badge ? ' marked' : ''}`}
      data-node-id={data.id}
      data-status={data.status}
      {...(data.diff ? { 'data-diff': data.diff } : {})}
      role="button"
      tabIndex={0}
      aria-label={`${data.id}, ${data.type}, ${data.diff ?? data.status}${data.problems?.length ? `, ${data.problems.length} problems` : ''}${data.badge ? `, ${data.badge}` : ''}`}
      title={data.problems?.join('\n')}
      style={{ width: NODE_WIDTH, height: NODE_HEIGHT }}
      onClick={() => data.onOpen(data.id)}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          data.onOpen(data.id);
        } else if (e.key.startsWith('Arrow')) {
          e.preventDefault();
          data.onMove(data.id, e.key);
        } else if ((e.key === 'Delete' || e.key === 'Backspace') && data.onRemove) {
          e.preventDefault();
          data.onRemove(data.id);
        }
      }}
    >
      <Handle type="target" position={Position.Left} isConnectable={data.connectable} />
      {data.flash !== undefined ? (
        <span key={data.flash} className="graph-node-flash" aria-hidden="true" />
      ) : null}
      {data.badge ? <span className="graph-node-badge">{data.badge}</span> : null}
      <div className="graph-node-title">
        <span className="graph-node-id">{data.id}</span>
        <span className="graph-node-type">{data.type}</span>
      </div>
      <div className="graph-node-meta">
        <span className="graph-node-status">
          {data.caption ??
            (data.diff
              ? `${DIFF_ICON[data.diff]} ${data.diff}`
              : `${STATUS_ICON[data.status] ?? '•'} ${data.status}`)}
          {data.problems?.length && !data.caption ? ` · ⚠ ${data.problems.length}` : ''}
        </span>
        {data.caption === undefined && data.diff === undefined ? (
          <span>
            {data.attempts > 1 ? `${data.attempts} attempts · ` : ''}
            {formatDuration(data.durationMs)}
          </span>
        ) : null}
      </div>
      {data.progress ? (
        <div className="graph-node-progress" aria-label="map items">
          <progress max={data.progress.total} value={data.progress.done + data.progress.failed} />
          <span>
            {data.progress.done}/{data.progress.total} done
            {data.progress.failed ? ` · ${data.progress.failed} failed` : ''}
            {data.progress.running ? ` · ${data.progress.running} running` : ''}
          </span>
        </div>
      ) : null}
      {data.childRunId ? (
        <a
          className="graph-node-child"
          href={`/runs/${data.childRunId}`}
          onClick={(e) => {
            e.preventDefault();
            e.stopPropagation();
            data.onNavigate(`/runs/${data.childRunId}`);
          }}
        >
          child run →
        </a>
      ) : null}
      <Handle type="source" position={Position.Right} isConnectable={data.connectable} />
    </div>
  );
}

const nodeTypes = { aob: AobNode };
const DIFF_ICON = { added: '+', removed: '−', changed: '~' } as const;
const REACHED = new Set(['scheduled', 'running', 'waiting', 'succeeded', 'failed', 'cancelled']);
const FINISHED = new Set(['succeeded', 'failed']);

export function RunGraph(props: {
  nodes: GraphNode[];
  edges: GraphEdge[];
  selected?: string;
  /** Nodes to bring into view; each new `key` does it again. */
  fitTo?: { nodes: string[]; key: number };
  onOpen: (id: string) => void;
  /** The editor's hooks: dragging from a node's right handle to another connects them. */
  editing?: {
    selectedEdge?: number;
    onConnect: (from: string, to: string) => void;
    onEdgeOpen: (index: number) => void;
    onRemove: (id: string) => void;
  };
}) {
  const { nodes, edges, selected, fitTo, onOpen, editing } = props;
  // Layout depends on the shape only, not on statuses: a live update never moves a node.
  const shapeKey = JSON.stringify([
    nodes.map((n) => n.id),
    edges.map((e) => [e.from, e.to, e.on ?? '']),
  ]);
  const positions = useMemo(
    () =>
      layout({
        nodes: nodes.map((n) => ({ id: n.id })),
        edges: edges.map((e, i) => ({ id: `e${i}`, from: e.from, to: e.to })),
      }),
    // The shape key stands for nodes and edges: statuses change them without moving anything.
    [shapeKey],
  );

  const status = useMemo(() => new Map(nodes.map((n) => [n.id, n.status])), [nodes]);
  const onMove = (id: string, key: string) => {
    const target = neighbour(id, key, edges, positions);
    if (target) {
      document.querySelector<HTMLElement>(`[data-node-id="${CSS.escape(target)}"]`)?.focus();
    }
  };
  const flowNodes: Node<AobNodeData>[] = nodes.map((n) => ({
    id: n.id,
    type: 'aob',
    position: positions?.get(n.id) ?? { x: 0, y: 0 },
    data: {
      ...n,
      selected: n.id === selected,
      onOpen,
      onNavigate: navigate,
      onMove,
      connectable: editing !== undefined,
      ...(editing ? { onRemove: editing.onRemove } : {}),
    },
    draggable: false,
    connectable: editing !== undefined,
  }));
  const flowEdges: Edge[] = edges.map((e, i) => {
    const taken =
      FINISHED.has(status.get(e.from) ?? '') && REACHED.has(status.get(e.to) ?? 'pending');
    const failure = e.on === 'failure';
    const codes = [...new Set((e.problems ?? []).map((p) => p.split(':')[0]))];
    const label = [
      e.on && e.on !== 'success' ? e.on : '',
      e.when ? 'when …' : '',
      codes.length ? `⚠ ${codes.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' · ');
    return {
      id: `e${i}`,
      source: e.from,
      target: e.to,
      ...(label ? { label } : {}),
      className: `graph-edge${taken ? ' taken' : ''}${failure ? ' failure' : ''}${e.diff ? ` diff-${e.diff}` : ''}${codes.length ? ' has-problems' : ''}${editing?.selectedEdge === i ? ' selected' : ''}`,
      animated: taken && status.get(e.to) === 'running',
      ariaLabel: `edge ${e.from} → ${e.to}${e.on && e.on !== 'success' ? ` on ${e.on}` : ''}${
        e.problems?.length ? `: ${e.problems.join('; ')}` : ''
      }`,
      domAttributes: { 'data-edge': `${e.from}→${e.to}` } as Edge['domAttributes'],
      focusable: editing !== undefined,
    };
  });
  return (
    <div className="graph" aria-label="workflow graph">
      <ReactFlow
        nodes={flowNodes}
        edges={flowEdges}
        nodeTypes={nodeTypes}
        fitView
        nodesDraggable={false}
        nodesConnectable={editing !== undefined}
        {...(editing
          ? {
              onConnect: (c: { source: string; target: string }) =>
                editing.onConnect(c.source, c.target),
              onEdgeClick: (_: unknown, edge: Edge) => editing.onEdgeOpen(Number(edge.id.slice(1))),
            }
          : {})}
        proOptions={{ hideAttribution: true }}
        minZoom={0.2}
      >
        <Background />
        <Controls showInteractive={false} />
        {editing ? <FitOnChange shape={shapeKey} /> : null}
        {fitTo ? <FitToNodes nodes={fitTo.nodes} fitKey={fitTo.key} /> : null}
      </ReactFlow>
    </div>
  );
}

/** Keeps an edited graph in view: a node added or removed moves the others. */
function FitOnChange(props: { shape: string }) {
  const flow = useReactFlow();
  // Also once the first nodes are measured: a fit before that leaves them in a corner.
  const measured = useNodesInitialized();
  useEffect(() => {
    // After React Flow has measured the new nodes.
    const frame = requestAnimationFrame(() => void flow.fitView({ duration: 150, maxZoom: 1 }));
    return () => cancelAnimationFrame(frame);
  }, [flow, props.shape, measured]);
  return null;
}

/** Brings `nodes` into view (a draft's focus), once per `fitKey`. */
function FitToNodes(props: { nodes: string[]; fitKey: number }) {
  const flow = useReactFlow();
  const { nodes, fitKey } = props;
  useEffect(() => {
    // After FitOnChange's fit of the same frame, and after new nodes are measured.
    const frame = requestAnimationFrame(() =>
      requestAnimationFrame(
        () =>
          void flow.fitView({
            nodes: nodes.map((id) => ({ id })),
            duration: 300,
            maxZoom: 1,
            padding: 0.6,
          }),
      ),
    );
    return () => cancelAnimationFrame(frame);
    // One fit per request: the key says when there is a new one.
  }, [flow, fitKey]);
  return null;
}

/**
 * The node an arrow key moves to: → the first successor, ← the first predecessor (by position
 * from the top), ↓/↑ the nearest node below/above in the same column.
 */
function neighbour(
  id: string,
  key: string,
  edges: readonly GraphEdge[],
  positions: ReadonlyMap<string, { x: number; y: number }> | undefined,
): string | undefined {
  if (!positions) return undefined;
  const at = positions.get(id);
  if (!at) return undefined;
  const byTop = (ids: string[]) =>
    ids.sort((a, b) => (positions.get(a)?.y ?? 0) - (positions.get(b)?.y ?? 0))[0];
  if (key === 'ArrowRight') return byTop(edges.filter((e) => e.from === id).map((e) => e.to));
  if (key === 'ArrowLeft') return byTop(edges.filter((e) => e.to === id).map((e) => e.from));
  const column = [...positions].filter(([, p]) => Math.abs(p.x - at.x) < 1);
  const below = key === 'ArrowDown';
  const candidates = column
    .filter(([, p]) => (below ? p.y > at.y : p.y < at.y))
    .sort((a, b) => (below ? a[1].y - b[1].y : b[1].y - a[1].y));
  return candidates[0]?.[0];
}
