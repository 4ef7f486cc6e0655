// One approval ticket: its message, who may decide, quorum progress, the deadline, and the
// Approve / Reject buttons (with an optional reason) for a person who may decide it.
import { useState } from 'react';
import type { ApprovalView } from '@aob/client';
import { Link } from '../router.js';
import { DecisionButtons } from './DecisionButtons.js';
import type { Decision } from './DecisionButtons.js';
import { STATUS_ICON, formatTime } from '../status.js';

export function ApprovalCard(props: {
  ticket: ApprovalView & { eligible?: boolean };
  decide: (ticketId: string, decision: 'approved' | 'rejected', reason: string) => Promise<void>;
  showRun?: boolean;
}) {
  const { ticket, decide, showRun } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const act = async (decision: Decision, reason: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await decide(ticket.ticketId, decision, reason);
    } catch (err) {
      setError((err as { detail?: string; message?: string }).detail ?? String(err));
    } finally {
      setBusy(false);
    }
  };
  const open = ticket.status === 'open';
  // The server says whether this person may decide it (the desk's `eligible`).
  const mayDecide = ticket.eligible !== false;
  return (
    <article
      className="card approval"
      data-ticket-id={ticket.ticketId}
      aria-label={`approval ${ticket.ticketId}`}
    >
      <header>
        <span className={`status status-${ticket.status}`}>
          {STATUS_ICON[ticket.status]} {ticket.status}
        </span>
        <strong>{ticket.nodeId}</strong>
        {showRun ? <Link href={`/runs/${ticket.runId}`}>{ticket.runId}</Link> : null}
      </header>
      {ticket.message ? <p className="message">{ticket.message}</p> : null}
      <dl>
        <dt>May decide</dt>
        <dd>{ticket.approvers.join(', ')}</dd>
        <dt>Quorum</dt>
        <dd>
          {ticket.approvals.length} of {ticket.quorum}
          {ticket.approvals.length > 0 ? ` (${ticket.approvals.map((a) => a.by).join(', ')})` : ''}
        </dd>
        {ticket.dueAt ? (
          <>
            <dt>{ticket.escalated ? 'Escalated; due' : 'Due'}</dt>
            <dd>{formatTime(ticket.dueAt)}</dd>
          </>
        ) : null}
        {ticket.decidedBy ? (
          <>
            <dt>Decided by</dt>
            <dd>
              {ticket.decidedBy}
              {ticket.reason ? ` — ${ticket.reason}` : ''}
            </dd>
          </>
        ) : null}
      </dl>
      {open && !mayDecide ? (
        <p className="muted">You are not among this ticket's approvers.</p>
      ) : null}
      {open && mayDecide ? (
        <DecisionButtons busy={busy} decide={(decision, reason) => act(decision, reason)} />
      ) : null}
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </article>
  );
}
