// "Propose to run": the editor's changes, as a JSON Patch from the version that was opened to
// what is on the canvas, sent to a live run of that version. The run's patch policy and the
// validator decide (applied, held for a person, or rejected); the verdict is shown with a link
// to the patch's page. A draft proposes itself the same way (its commit as a patch), through
// ProposeForm with its own sending.
import { useEffect, useState } from 'react';
import fastJsonPatch from 'fast-json-patch';
import type { PatchView, RunListItem } from '@aob/client';
import type { Session } from '../session.js';
import { Link } from '../router.js';
import { FindingList } from '../views/FindingList.js';
import type { EditorDefinition } from './definition.js';

/** The operations from `base` to `edited`, leaving the workflow's name and version alone. */
export function patchOps(base: EditorDefinition, edited: EditorDefinition) {
  return fastJsonPatch.compare(base, { ...edited, name: base.name, version: base.version });
}

export function ProposePanel(props: {
  session: Session;
  base: EditorDefinition;
  edited: EditorDefinition;
  onError: (err: unknown) => void;
}) {
  const { session, base, edited, onError } = props;
  const ops = patchOps(base, edited);
  const ref = `${base.name}@${base.version}`;
  return (
    <ProposeForm
      session={session}
      workflow={ref}
      what={`${ops.length} operation${ops.length === 1 ? '' : 's'} from ${ref} to the canvas.`}
      canSend={ops.length > 0}
      send={(runId, rationale) =>
        session.client.proposePatch({ target: runId, ops, ...(rationale ? { rationale } : {}) })
      }
      onError={onError}
    />
  );
}

/** Picks a live run of `workflow` and sends it a patch with a rationale; shows the verdict. */
export function ProposeForm(props: {
  session: Session;
  /** The `name@version` whose running or waiting runs may take the patch. */
  workflow: string;
  /** What would be sent, in words. */
  what: string;
  canSend: boolean;
  /** Sends; the patch as the server has it, when it says. */
  send: (runId: string, rationale: string) => Promise<PatchView | undefined>;
  onError: (err: unknown) => void;
}) {
  const { session, workflow: ref, what, canSend, send: sendTo, onError } = props;
  const [runs, setRuns] = useState<RunListItem[]>();
  const [runId, setRunId] = useState('');
  const [rationale, setRationale] = useState('');
  const [verdict, setVerdict] = useState<PatchView>();
  const [sentTo, setSentTo] = useState<string>();
  const [sending, setSending] = useState(false);
  useEffect(() => {
    session.client
      .all((cursor) => session.client.listRuns({ status: ['running', 'waiting'], cursor }))
      .then((all) => {
        const live = all.filter((r) => r.workflow === ref);
        setRuns(live);
        setRunId((id) => id || (live[0]?.runId ?? ''));
      })
      .catch(onError);
  }, [session, ref, onError]);
  const send = async () => {
    setSending(true);
    try {
      setVerdict(await sendTo(runId, rationale));
      setSentTo(runId);
    } catch (err) {
      onError(err);
    } finally {
      setSending(false);
    }
  };
  return (
    <div className="card propose-panel">
      <h2>Propose to a live run of {ref}</h2>
      <p className="muted">{what}</p>
      {runs === undefined ? (
        <p className="empty">Finding live runs…</p>
      ) : runs.length === 0 ? (
        <p className="empty">No run of {ref} is running or waiting.</p>
      ) : (
        <>
          <div className="field">
            <label htmlFor="propose-run">Run</label>
            <select id="propose-run" value={runId} onChange={(e) => setRunId(e.target.value)}>
              {runs.map((r) => (
                <option key={r.runId} value={r.runId}>
                  {r.runId} ({r.status})
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="propose-rationale">Rationale</label>
            <input
              id="propose-rationale"
              value={rationale}
              onChange={(e) => setRationale(e.target.value)}
            />
          </div>
          <button
            type="button"
            disabled={!runId || !canSend || sending}
            onClick={() => void send()}
          >
            Send patch
          </button>
        </>
      )}
      {verdict ? (
        <div className="verdict" role="status" data-patch-status={verdict.status}>
          <p>
            Patch <Link href={`/patches/${verdict.patchId}`}>{verdict.patchId}</Link>:{' '}
            <strong>{verdict.status}</strong>
          </p>
          <FindingList patch={verdict} />
        </div>
      ) : sentTo ? (
        <p className="verdict" role="status">
          Sent to <Link href={`/runs/${sentTo}`}>{sentTo}</Link>.
        </p>
      ) : null}
    </div>
  );
}
