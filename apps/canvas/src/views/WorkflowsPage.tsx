// The registered workflows, each name with its versions (newest first): open a version in the
// editor or as a draft (edited on the server, with agents), compare it with the one before, or
// start a new workflow.
import { useEffect, useMemo, useState } from 'react';
import type { WorkflowView } from '@aob/client';
import type { Session } from '../session.js';
import { usePageError } from '../page-error.js';
import { Link } from '../router.js';
import { formatTime } from '../status.js';
import { draftApi } from '../drafts/api.js';
import { openNewDraft } from '../drafts/DraftsPage.js';

const enc = encodeURIComponent;

export function WorkflowsPage(props: { session: Session; onAuthFailure: (e: unknown) => void }) {
  const { session, onAuthFailure } = props;
  const [workflows, setWorkflows] = useState<WorkflowView[]>();
  const { error, fail } = usePageError(onAuthFailure);
  const drafts = useMemo(() => draftApi(session), [session]);
  useEffect(() => {
    session.client
      .all((cursor) => session.client.listWorkflows({ cursor }))
      .then(setWorkflows)
      .catch(fail);
  }, [session, fail]);
  const byName = new Map<string, WorkflowView[]>();
  for (const w of [...(workflows ?? [])].sort((a, b) => b.registeredAt - a.registeredAt)) {
    byName.set(w.name, [...(byName.get(w.name) ?? []), w]);
  }
  return (
    <section>
      <header className="page-header">
        <h1>Workflows</h1>
        <Link href="/workflows/new" className="button">
          New workflow
        </Link>
      </header>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {workflows === undefined ? (
        <p className="empty">Loading…</p>
      ) : byName.size === 0 ? (
        <p className="empty">
          No workflows registered yet. Register one: aob workflow register
          examples/approval/workflow.json, or start a new one here.
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Workflow</th>
              <th scope="col">Version</th>
              <th scope="col">Registered</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {[...byName].flatMap(([name, versions]) =>
              versions.map((w, i) => (
                <tr key={`${name}@${w.version}`} data-workflow={`${name}@${w.version}`}>
                  <td>{i === 0 ? name : ''}</td>
                  <td>{w.version}</td>
                  <td>{formatTime(w.registeredAt)}</td>
                  <td className="actions">
                    <Link href={`/workflows/${enc(name)}/${enc(w.version)}/edit`}>Edit</Link>
                    <button
                      type="button"
                      className="link"
                      onClick={() =>
                        void openNewDraft(drafts, { from: `${name}@${w.version}` }).catch(fail)
                      }
                    >
                      Open as draft
                    </button>
                    {versions[i + 1] ? (
                      <Link
                        href={`/workflows/${enc(name)}/diff/${enc(versions[i + 1]!.version)}/${enc(w.version)}`}
                      >
                        Compare with {versions[i + 1]!.version}
                      </Link>
                    ) : null}
                  </td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}
