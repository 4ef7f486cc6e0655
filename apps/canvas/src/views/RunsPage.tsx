// Runs of the namespace, newest first, live from the namespace feed; filters by status and text.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { RunListItem, TimelineMessage } from '@aob/client';
import type { RunStatus } from '@aob/core';
import type { Session } from '../session.js';
import { usePageError } from '../page-error.js';
import { useFeed, useRereader } from '../feed.js';
import { Link } from '../router.js';
import { STATUS_ICON, formatTime } from '../status.js';
import { Banner } from './Banner.js';

const STATUSES: RunStatus[] = ['running', 'waiting', 'completed', 'failed', 'cancelled'];
const PAGE = 100;

export function RunsPage(props: { session: Session; onAuthFailure: (e: unknown) => void }) {
  const { session, onAuthFailure } = props;
  const [runs, setRuns] = useState<RunListItem[]>([]);
  const [cursor, setCursor] = useState<string>();
  const [status, setStatus] = useState<RunStatus | ''>('');
  const [text, setText] = useState('');
  const { error, fail } = usePageError(onAuthFailure);

  const load = useCallback(
    async (more?: string) => {
      const page = await session.client.listRuns({
        ...(status ? { status: [status] } : {}),
        limit: PAGE,
        ...(more ? { cursor: more } : {}),
      });
      setRuns((prev) => (more ? [...prev, ...page.items] : page.items));
      setCursor(page.nextCursor);
    },
    [session, status],
  );
  useEffect(() => {
    load().catch(fail);
  }, [load, fail]);

  // New runs and status changes arrive on the namespace feed; the first page is read again, at
  // once after an event about a run or an approval (a run starts, ends, waits), and at most every
  // max(250 ms, twice a read's time) while only nodes move: a read per frame was ~50 requests a
  // second while the namespace made 500 events a second.
  const reloadSoon = useRereader(load, fail);
  const open = useMemo(
    () => (signal: AbortSignal, onReconnect: (reason: string) => void) =>
      session.client.timeline({ signal, onReconnect: (r) => onReconnect(r.reason) }),
    [session],
  );
  const onBatch = useCallback(
    (batch: TimelineMessage[]) => {
      const events = batch.flatMap((m) => (m.kind === 'event' ? [m.event] : []));
      if (events.length === 0) return;
      reloadSoon(events.some((e) => e.type.startsWith('Run') || e.type.startsWith('Approval')));
    },
    [reloadSoon],
  );
  const connection = useFeed(open, onBatch, fail);

  const shown = text
    ? runs.filter((r) => `${r.runId} ${r.workflow}`.toLowerCase().includes(text.toLowerCase()))
    : runs;
  return (
    <section>
      <Banner connection={connection} />
      <header className="page-header">
        <h1>Runs</h1>
        <div className="filters">
          <label>
            Status{' '}
            <select value={status} onChange={(e) => setStatus(e.target.value as RunStatus | '')}>
              <option value="">any</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label>
            Search{' '}
            <input
              value={text}
              onChange={(e) => setText(e.target.value)}
              placeholder="run id or workflow"
            />
          </label>
        </div>
      </header>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {shown.length === 0 ? (
        <p className="empty">
          No runs yet. Start one: aob run start examples/approval/workflow.json
        </p>
      ) : (
        <table className="runs">
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Run</th>
              <th scope="col">Workflow</th>
              <th scope="col">Started</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.runId} data-run-id={r.runId} data-status={r.status}>
                <td>
                  <span className={`status status-${r.status}`}>
                    {STATUS_ICON[r.status]} {r.status}
                  </span>
                </td>
                <td>
                  <Link href={`/runs/${r.runId}`}>{r.runId}</Link>
                </td>
                <td>{r.workflow}</td>
                <td>{formatTime(r.startedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor ? (
        <button type="button" onClick={() => load(cursor).catch(fail)}>
          More
        </button>
      ) : null}
    </section>
  );
}
