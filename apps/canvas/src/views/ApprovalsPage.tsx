// The approvals inbox: open tickets across the namespace's runs, live from the namespace feed.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ApprovalView, TimelineMessage } from '@aob/client';
import type { Session } from '../session.js';
import { usePageError } from '../page-error.js';
import { useFeed } from '../feed.js';
import { ApprovalCard } from './ApprovalCard.js';
import { Banner } from './Banner.js';

const APPROVAL_EVENTS = /^Approval|^Run(Completed|Failed|Cancelled|Waiting)$/;

export function ApprovalsPage(props: { session: Session; onAuthFailure: (e: unknown) => void }) {
  const { session, onAuthFailure } = props;
  const [tickets, setTickets] = useState<ApprovalView[]>([]);
  const { error, fail } = usePageError(onAuthFailure);
  const load = useCallback(async () => {
    const all = await session.client.all((cursor) =>
      session.client.listApprovals({ status: 'open', ...(cursor ? { cursor } : {}) }),
    );
    setTickets(all);
  }, [session]);
  useEffect(() => {
    load().catch(fail);
  }, [load, fail]);
  const open = useMemo(
    () => (signal: AbortSignal, onReconnect: (reason: string) => void) =>
      session.client.timeline({ signal, onReconnect: (r) => onReconnect(r.reason) }),
    [session],
  );
  const onBatch = useCallback(
    (batch: TimelineMessage[]) => {
      if (batch.some((m) => m.kind === 'event' && APPROVAL_EVENTS.test(m.event.type))) {
        load().catch(fail);
      }
    },
    [load, fail],
  );
  const connection = useFeed(open, onBatch, fail);
  const decide = async (ticketId: string, decision: 'approved' | 'rejected', reason: string) => {
    await session.client.decideApproval(ticketId, { decision, ...(reason ? { reason } : {}) });
    await load();
  };
  return (
    <section>
      <Banner connection={connection} />
      <header className="page-header">
        <h1>Approvals</h1>
      </header>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {tickets.length === 0 ? <p className="empty">Nothing waits on a decision.</p> : null}
      <div className="cards">
        {tickets.map((t) => (
          <ApprovalCard key={t.ticketId} ticket={t} decide={decide} showRun />
        ))}
      </div>
    </section>
  );
}
