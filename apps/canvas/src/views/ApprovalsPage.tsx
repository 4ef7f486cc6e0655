// The inbox of what waits on people: open approval tickets and open questions (ask nodes, agents'
// ask_user) across the namespace's runs, live from the namespace feed.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ApprovalView, QuestionView, TimelineMessage } from '@aob/client';
import type { Session } from '../session.js';
import { usePageError } from '../page-error.js';
import { useFeed } from '../feed.js';
import { ApprovalCard } from './ApprovalCard.js';
import { Banner } from './Banner.js';
import { QuestionCard } from './QuestionCard.js';

const INBOX_EVENTS = /^Approval|^Question|^Run(Completed|Failed|Cancelled|Waiting)$/;

export function ApprovalsPage(props: { session: Session; onAuthFailure: (e: unknown) => void }) {
  const { session, onAuthFailure } = props;
  const [tickets, setTickets] = useState<ApprovalView[]>([]);
  const [questions, setQuestions] = useState<QuestionView[]>([]);
  const { error, fail } = usePageError(onAuthFailure);
  const load = useCallback(async () => {
    const [all, asked] = await Promise.all([
      session.client.all((cursor) =>
        session.client.listApprovals({ status: 'open', ...(cursor ? { cursor } : {}) }),
      ),
      session.client.all((cursor) =>
        session.client.questions({ status: 'open', ...(cursor ? { cursor } : {}) }),
      ),
    ]);
    setTickets(all);
    setQuestions(asked);
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
      if (batch.some((m) => m.kind === 'event' && INBOX_EVENTS.test(m.event.type))) {
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
  const answer = async (questionId: string, value: unknown) => {
    await session.client.answer(questionId, value);
    await load();
  };
  return (
    <section>
      <Banner connection={connection} />
      <header className="page-header">
        <h1>Approvals &amp; questions</h1>
      </header>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {tickets.length === 0 && questions.length === 0 ? (
        <p className="empty">Nothing waits on a decision or an answer.</p>
      ) : null}
      {questions.length > 0 ? (
        <>
          <h2>Questions</h2>
          <div className="cards" aria-label="open questions">
            {questions.map((q) => (
              <QuestionCard key={q.questionId} question={q} answer={answer} showRun />
            ))}
          </div>
        </>
      ) : null}
      {tickets.length > 0 ? (
        <>
          <h2>Approvals</h2>
          <div className="cards" aria-label="open approvals">
            {tickets.map((t) => (
              <ApprovalCard key={t.ticketId} ticket={t} decide={decide} showRun />
            ))}
          </div>
        </>
      ) : null}
    </section>
  );
}
