// Two versions of a workflow compared with the patches' diff view: nodes and edges added,
// removed and changed, marked on one graph.
import { useEffect, useState } from 'react';
import { diffDefinitions } from '@aob/client';
import type { Session } from '../session.js';
import { usePageError } from '../page-error.js';
import { Link, navigate } from '../router.js';
import { RunGraph } from '../graph/RunGraph.js';
import { diffGraph } from '../graph/diff-graph.js';
import type { Definition } from '../graph/diff-graph.js';

const enc = encodeURIComponent;

export function WorkflowDiffPage(props: {
  session: Session;
  name: string;
  from: string;
  to: string;
  onAuthFailure: (e: unknown) => void;
}) {
  const { session, name, from, to, onAuthFailure } = props;
  const [versions, setVersions] = useState<string[]>([]);
  const [graphs, setGraphs] = useState<{ before: Definition; after: Definition }>();
  const { error, fail } = usePageError(onAuthFailure);
  useEffect(() => {
    void (async () => {
      try {
        const [all, before, after] = await Promise.all([
          session.client.all((cursor) => session.client.listWorkflows({ cursor })),
          session.client.showWorkflow(`${name}@${from}`),
          session.client.showWorkflow(`${name}@${to}`),
        ]);
        setVersions(all.filter((w) => w.name === name).map((w) => w.version));
        setGraphs({
          before: before.definition as unknown as Definition,
          after: after.definition as unknown as Definition,
        });
      } catch (err) {
        fail(err);
      }
    })();
  }, [session, name, from, to, fail]);
  const diff = graphs ? diffDefinitions(graphs.before, graphs.after) : undefined;
  const graph = graphs && diff ? diffGraph(graphs.before, graphs.after, diff) : undefined;
  const pick = (label: string, value: string, go: (v: string) => string) => (
    <label>
      {label}{' '}
      <select value={value} onChange={(e) => navigate(go(e.target.value))}>
        {versions.map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <section className="patch-page">
      <header className="page-header">
        <h1>
          <Link href="/workflows">Workflows</Link> / {name}: {from} → {to}
        </h1>
        {pick('from', from, (v) => `/workflows/${enc(name)}/diff/${enc(v)}/${enc(to)}`)}
        {pick('to', to, (v) => `/workflows/${enc(name)}/diff/${enc(from)}/${enc(v)}`)}
        <Link href={`/workflows/${enc(name)}/${enc(to)}/edit`}>Edit {to}</Link>
      </header>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {graph && diff ? (
        <div className="run-body">
          <div className="run-graph">
            <RunGraph nodes={graph.nodes} edges={graph.edges} onOpen={() => undefined} />
          </div>
          <aside className="run-side">
            <div className="card">
              <h2>Changes</h2>
              <p className="muted">
                {diff.nodesAdded.length} added, {diff.nodesRemoved.length} removed,{' '}
                {diff.nodesChanged.length} changed nodes; {diff.edgesAdded.length} edges added,{' '}
                {diff.edgesRemoved.length} removed
                {diff.outputChanged ? '; the output changed' : ''}
              </p>
              <ul>
                {diff.nodesAdded.map((n) => (
                  <li key={`a${n}`}>+ {n}</li>
                ))}
                {diff.nodesRemoved.map((n) => (
                  <li key={`r${n}`}>− {n}</li>
                ))}
                {diff.nodesChanged.map((n) => (
                  <li key={`c${n}`}>~ {n}</li>
                ))}
                {diff.edgesAdded.map((e) => (
                  <li key={`ea${e}`}>+ {e}</li>
                ))}
                {diff.edgesRemoved.map((e) => (
                  <li key={`er${e}`}>− {e}</li>
                ))}
              </ul>
            </div>
          </aside>
        </div>
      ) : error ? null : (
        <p className="empty">Loading…</p>
      )}
    </section>
  );
}
