// One patch: who proposed it and why, its operations, the validator's verdict with each finding
// placed on the node it concerns, and the graph before → after as a diff (added, removed and
// changed nodes and edges marked). A held patch can be approved or rejected, an applied one
// reverted. A held patch has no "after" graph yet: it is previewed by applying its operations.
import { useCallback, useEffect, useState } from 'react';
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { PatchView } from '@aob/client';
import { diffDefinitions } from '@aob/client';
import type { Session } from '../session.js';
import { usePageError } from '../page-error.js';
import { RunGraph } from '../graph/RunGraph.js';
import { diffGraph } from '../graph/diff-graph.js';
import type { Definition } from '../graph/diff-graph.js';
import { Link } from '../router.js';
import { FindingList } from './FindingList.js';
import { DecisionButtons } from './DecisionButtons.js';
import { STATUS_ICON, formatTime } from '../status.js';

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

/** Findings by node id (`/nodes/3/with/url`, the index in either graph) and by edge index. */
function placeFindings(patch: PatchView, before: Definition, after?: Definition) {
  const nodes = new Map<string, string[]>();
  const edges = new Map<number, string[]>();
  for (const p of [...patch.violations, ...(patch.reasons ?? [])]) {
    const line = `${p.code}: ${p.message}`;
    const node = /^\/nodes\/(\d+|-)/.exec(p.path);
    const edge = /^\/edges\/(\d+)/.exec(p.path);
    if (node) {
      const index = node[1] === '-' ? (after?.nodes.length ?? 1) - 1 : Number(node[1]);
      const id = (after ?? before).nodes[index]?.id ?? before.nodes[index]?.id;
      if (id) nodes.set(id, [...(nodes.get(id) ?? []), line]);
    } else if (edge) {
      const index = Number(edge[1]);
      edges.set(index, [...(edges.get(index) ?? []), line]);
    }
  }
  return { nodes, edges };
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
  const findings = placeFindings(patch, graphs.before, graphs.after);
  const diff = graphs.after ? diffDefinitions(graphs.before, graphs.after) : undefined;
  const graph =
    graphs.after && diff
      ? diffGraph(graphs.before, graphs.after, diff, findings.nodes, findings.edges)
      : undefined;
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
              <FindingList patch={patch} />
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
