// One patch: who proposed it and why, its operations, the validator's verdict with each finding
// placed on the node it concerns, and the graph before → after as a diff (added, removed and
// changed nodes and edges marked). A held patch can be approved or rejected, an applied one
// reverted. A held patch has no "after" graph yet: it is previewed by applying its operations.
import { useCallback, useEffect, useState } from 'react';
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { GraphDiff, PatchView } from '@aob/client';
import { diffDefinitions, edgeKey } from '@aob/client';
import type { Session } from '../session.js';
import { usePageError } from '../page-error.js';
import { RunGraph } from '../graph/RunGraph.js';
import type { GraphEdge, GraphNode } from '../graph/RunGraph.js';
import { Link } from '../router.js';
import { DecisionButtons } from './DecisionButtons.js';
import { STATUS_ICON, formatTime } from '../status.js';

interface Definition {
  nodes: { id: string; type: string }[];
  edges?: { from: string; to: string; on?: string; when?: string }[];
  output?: unknown;
}

/** The graph of a patch's base and result, read from the run (or the registry) it targets. */
async function graphsOf(
  session: Session,
  patch: PatchView,
): Promise<{ before: Definition; after?: Definition; previewError?: string }> {
  const read = (hash: string) =>
    patch.scope === 'run'
      ? (session.client.getRunContent(patch.runId ?? patch.target, hash) as Promise<Definition>)
      : session.client
          .showWorkflow(patch.target)
          .then((w) => w.definition as unknown as Definition);
  const before = await read(patch.baseIrHash);
  if (patch.irHash && patch.scope === 'run') return { before, after: await read(patch.irHash) };
  try {
    const ops = patch.ops as Operation[];
    const after = fastJsonPatch.applyPatch(structuredClone(before), ops, true, false).newDocument;
    return { before, after };
  } catch (err) {
    return { before, previewError: (err as Error).message };
  }
}

/** The union of both graphs, each node and edge marked with what the patch does to it. */
function diffGraph(
  before: Definition,
  after: Definition,
  diff: GraphDiff,
  problems: Map<string, string[]>,
) {
  const added = new Set(diff.nodesAdded);
  const changed = new Set(diff.nodesChanged);
  const nodes: GraphNode[] = [
    ...after.nodes.map((n) => ({
      id: n.id,
      type: n.type,
      status: 'pending',
      attempts: 0,
      ...(added.has(n.id)
        ? { diff: 'added' as const }
        : changed.has(n.id)
          ? { diff: 'changed' as const }
          : {}),
      ...(problems.has(n.id) ? { problems: problems.get(n.id)! } : {}),
    })),
    ...before.nodes
      .filter((n) => diff.nodesRemoved.includes(n.id))
      .map((n) => ({
        id: n.id,
        type: n.type,
        status: 'pending',
        attempts: 0,
        diff: 'removed' as const,
      })),
  ];
  const edgesAdded = new Set(diff.edgesAdded);
  const edges: GraphEdge[] = [
    ...(after.edges ?? []).map((e) => ({
      from: e.from,
      to: e.to,
      ...(e.on ? { on: e.on } : {}),
      ...(edgesAdded.has(edgeKey(e)) ? { diff: 'added' as const } : {}),
    })),
    ...(before.edges ?? [])
      .filter((e) => diff.edgesRemoved.includes(edgeKey(e)))
      .map((e) => ({
        from: e.from,
        to: e.to,
        ...(e.on ? { on: e.on } : {}),
        diff: 'removed' as const,
      })),
  ];
  return { nodes, edges };
}

/** Findings by node id, from paths like `/nodes/3/with/url` (the index in either graph). */
function problemsByNode(
  patch: PatchView,
  before: Definition,
  after?: Definition,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of [...patch.violations, ...(patch.reasons ?? [])]) {
    const m = /^\/nodes\/(\d+|-)/.exec(p.path);
    const index = m?.[1] === '-' ? (after?.nodes.length ?? 1) - 1 : Number(m?.[1]);
    const id = m ? ((after ?? before).nodes[index]?.id ?? before.nodes[index]?.id) : undefined;
    if (id) out.set(id, [...(out.get(id) ?? []), `${p.code}: ${p.message}`]);
  }
  return out;
}

export function PatchPage(props: {
  session: Session;
  patchId: string;
  onAuthFailure: (e: unknown) => void;
}) {
  const { session, patchId, onAuthFailure } = props;
  const [patch, setPatch] = useState<PatchView>();
  const [graphs, setGraphs] = useState<{
    before: Definition;
    after?: Definition;
    previewError?: string;
  }>();
  const { error, setError, fail } = usePageError(onAuthFailure);
  const load = useCallback(async () => {
    const { patch: p } = await session.client.getPatch(patchId);
    setPatch(p);
    setGraphs(await graphsOf(session, p));
  }, [session, patchId]);
  useEffect(() => {
    load().catch(fail);
  }, [load, fail]);

  const act = async (what: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await what();
      await load();
    } catch (err) {
      fail(err);
    }
  };

  if (!patch || !graphs) {
    return error ? (
      <p role="alert" className="error">
        {error}
      </p>
    ) : (
      <p className="empty">Loading…</p>
    );
  }
  const problems = problemsByNode(patch, graphs.before, graphs.after);
  const diff = graphs.after ? diffDefinitions(graphs.before, graphs.after) : undefined;
  const graph =
    graphs.after && diff ? diffGraph(graphs.before, graphs.after, diff, problems) : undefined;
  return (
    <section className="patch-page">
      <header className="page-header">
        <h1>
          {patch.runId ? <Link href={`/runs/${patch.runId}`}>{patch.runId}</Link> : patch.target} /
          patch {patch.patchId}
        </h1>
        <span className={`status status-${patch.status}`} data-patch-status={patch.status}>
          {STATUS_ICON[patch.status] ?? '•'} {patch.status}
        </span>
      </header>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      <div className="run-body">
        <div className="run-graph">
          {graph ? (
            <RunGraph nodes={graph.nodes} edges={graph.edges} onOpen={() => undefined} />
          ) : (
            <p className="error">The patch's result cannot be previewed: {graphs.previewError}</p>
          )}
        </div>
        <aside className="run-side">
          <div className="card">
            <dl>
              <dt>Author</dt>
              <dd>{patch.author}</dd>
              <dt>Proposed</dt>
              <dd>{formatTime(patch.proposedAt)}</dd>
              {patch.rationale ? (
                <>
                  <dt>Rationale</dt>
                  <dd>{patch.rationale}</dd>
                </>
              ) : null}
              {patch.reviewedBy ? (
                <>
                  <dt>Reviewed by</dt>
                  <dd>
                    {patch.reviewedBy}
                    {patch.reason ? ` — ${patch.reason}` : ''}
                  </dd>
                </>
              ) : null}
            </dl>
            {diff ? (
              <p className="muted">
                {diff.nodesAdded.length} added, {diff.nodesRemoved.length} removed,{' '}
                {diff.nodesChanged.length} changed nodes; {diff.edgesAdded.length} edges added,{' '}
                {diff.edgesRemoved.length} removed
              </p>
            ) : null}
            {patch.status === 'held' ? (
              <DecisionButtons
                decide={(decision, reason) =>
                  act(() =>
                    session.client.reviewPatch(patch.patchId, {
                      decision,
                      ...(reason ? { reason } : {}),
                    }),
                  )
                }
              />
            ) : null}
            {patch.status === 'applied' ? (
              <button
                type="button"
                onClick={() => void act(() => session.client.revertPatch(patch.patchId))}
              >
                Revert
              </button>
            ) : null}
          </div>
          {[...patch.violations, ...(patch.reasons ?? [])].length > 0 ? (
            <div className="card">
              <h2>{patch.violations.length > 0 ? 'Violations' : 'Why a person must decide'}</h2>
              <ul>
                {[...patch.violations, ...(patch.reasons ?? [])].map((p, i) => (
                  <li key={i}>
                    <code>{p.code}</code> at <code>{p.path || '/'}</code>: {p.message}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          <div className="card">
            <h2>Operations</h2>
            <pre tabIndex={0} aria-label="operations">
              {JSON.stringify(patch.ops, null, 2)}
            </pre>
          </div>
        </aside>
      </div>
    </section>
  );
}
