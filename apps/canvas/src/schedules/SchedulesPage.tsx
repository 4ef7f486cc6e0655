// The namespace's schedules (/schedules): each with its workflow, when it ticks, its state, its
// next tick (read again every few seconds, so "in 12 s" stays true) and its last run; an operator
// pauses, resumes or starts a run now from here. Schedules are created with `aob schedule
// create`, the API or the schedule_create MCP tool.
import { useCallback, useEffect, useState } from 'react';
import type { ScheduleView } from '@aob/client';
import type { Session } from '../session.js';
import { usePageError } from '../page-error.js';
import { Link } from '../router.js';
import { stateOf, untilText, whenText } from './text.js';

/** How often the list is read again while the page is open. */
const REFRESH_MS = 5_000;
const ROLES_THAT_WRITE = new Set(['operator', 'approver', 'admin']);

export function SchedulesPage(props: { session: Session; onAuthFailure: (e: unknown) => void }) {
  const { session, onAuthFailure } = props;
  const [schedules, setSchedules] = useState<ScheduleView[]>();
  const [now, setNow] = useState(Date.now());
  const [busy, setBusy] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const { error, fail } = usePageError(onAuthFailure);
  const mayWrite = ROLES_THAT_WRITE.has(session.me.role);

  const load = useCallback(async () => {
    const all = await session.client.all((cursor) =>
      session.client.listSchedules(cursor ? { cursor } : {}),
    );
    setSchedules(all);
    setNow(Date.now());
  }, [session]);
  useEffect(() => {
    load().catch(fail);
    const timer = setInterval(() => load().catch(fail), REFRESH_MS);
    return () => clearInterval(timer);
  }, [load, fail]);

  const act = (scheduleId: string, what: () => Promise<string | undefined>) => {
    setBusy(scheduleId);
    what()
      .then((said) => {
        setNotice(said);
        return load();
      })
      .catch(fail)
      .finally(() => setBusy(undefined));
  };

  return (
    <section>
      <header className="page-header">
        <h1>Schedules</h1>
      </header>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {notice ? (
        <p role="status" className="muted">
          {notice}
        </p>
      ) : null}
      {schedules === undefined ? (
        <p className="empty">Loading…</p>
      ) : schedules.length === 0 ? (
        <p className="empty">
          No schedules yet. Create one with aob schedule create, POST /v1/schedules or the
          schedule_create MCP tool.
        </p>
      ) : (
        <table className="runs schedules">
          <thead>
            <tr>
              <th scope="col">Schedule</th>
              <th scope="col">Workflow</th>
              <th scope="col">When</th>
              <th scope="col">State</th>
              <th scope="col">Next tick</th>
              <th scope="col">Last run</th>
              <th scope="col">Ticks</th>
              {mayWrite ? <th scope="col" aria-label="actions" /> : null}
            </tr>
          </thead>
          <tbody>
            {schedules.map((s) => {
              const state = stateOf(s);
              return (
                <tr key={s.scheduleId} data-schedule-id={s.scheduleId}>
                  <td>
                    <code>{s.scheduleId}</code>
                    {s.note ? <div className="muted">{s.note}</div> : null}
                  </td>
                  <td>{s.workflow}</td>
                  <td>
                    {whenText(s)}
                    <div className="muted">overlap {s.overlap}</div>
                  </td>
                  <td>
                    <span
                      className={`status ${state === 'active' ? 'status-running' : 'status-waiting'}`}
                    >
                      {state}
                    </span>
                  </td>
                  <td>
                    {s.nextTickAt === undefined ? (
                      '—'
                    ) : (
                      <time dateTime={new Date(s.nextTickAt).toISOString()}>
                        {new Date(s.nextTickAt).toLocaleString()}{' '}
                        <span className="muted">{untilText(s.nextRunAt ?? s.nextTickAt, now)}</span>
                      </time>
                    )}
                  </td>
                  <td>
                    {s.lastRunId ? (
                      <Link href={`/runs/${encodeURIComponent(s.lastRunId)}`}>{s.lastRunId}</Link>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>
                    {s.counts.started} started
                    {s.counts.skipped ? `, ${s.counts.skipped} skipped` : ''}
                    {s.counts.missed ? `, ${s.counts.missed} missed` : ''}
                    {s.counts.failed ? (
                      <span className="status status-failed" title={s.lastError?.message}>
                        {' '}
                        ⚠ {s.counts.failed} failed
                      </span>
                    ) : null}
                  </td>
                  {mayWrite ? (
                    <td className="actions">
                      <button
                        type="button"
                        disabled={busy === s.scheduleId}
                        onClick={() =>
                          act(s.scheduleId, async () => {
                            if (s.paused) await session.client.resumeSchedule(s.scheduleId);
                            else await session.client.pauseSchedule(s.scheduleId);
                            return undefined;
                          })
                        }
                      >
                        {s.paused ? 'Resume' : 'Pause'}
                      </button>{' '}
                      <button
                        type="button"
                        disabled={busy === s.scheduleId}
                        onClick={() =>
                          act(s.scheduleId, async () => {
                            const run = await session.client.triggerSchedule(s.scheduleId);
                            return `started ${run.runId}`;
                          })
                        }
                      >
                        Run now
                      </button>
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
