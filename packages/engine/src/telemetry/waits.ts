// The waits a decision ended (ARCHITECTURE §10), read from the run's log: an approval ticket, a
// question to people, a timer node, a retry's backoff, a child run. Each becomes a span from the
// time of the event that began it to the time of the event that ended it, made once it is over.
import type { AnyRunEvent, RunEvent } from '@aob/core';
import type { WaitSpan } from './trace.js';

/** Whether these appended events may end a wait (so the log is worth reading). */
export function mayEndWaits(
  events: readonly AnyRunEvent[],
  typeOf: (nodeId: string) => string | undefined,
): boolean {
  return events.some(
    (e) =>
      e.type === 'QuestionAnswered' ||
      e.type === 'TimerFired' ||
      ((e.type === 'NodeSucceeded' || e.type === 'NodeFailed') &&
        e.data.iteration === undefined &&
        (typeOf(e.data.nodeId) === 'approval' || typeOf(e.data.nodeId) === 'subworkflow')),
  );
}

/** The waits that `appended` (the last events of `log`) ended, with when each began. */
export function endedWaits(
  log: readonly AnyRunEvent[],
  appended: readonly AnyRunEvent[],
): WaitSpan[] {
  const questions = new Map<string, RunEvent<'QuestionAsked'>>();
  const timers = new Map<string, RunEvent<'TimerScheduled'> | RunEvent<'NodeRetryScheduled'>>();
  const decisions = new Map<string, RunEvent<'ApprovalDecided'>>();
  /** By node: what it waits on now (the latest ticket or child run not ended yet). */
  const tickets = new Map<string, RunEvent<'ApprovalRequested'>>();
  const children = new Map<string, RunEvent<'ChildRunStarted'>>();
  const first = appended[0]?.seq ?? Infinity;
  const waits: WaitSpan[] = [];
  for (const e of log) {
    const mine = e.seq >= first;
    switch (e.type) {
      case 'QuestionAsked':
        questions.set(e.data.questionId, e);
        break;
      case 'TimerScheduled':
      case 'NodeRetryScheduled':
        timers.set(e.data.timerId, e);
        break;
      case 'ApprovalRequested':
        tickets.set(e.data.nodeId, e);
        break;
      case 'ApprovalDecided':
        decisions.set(e.data.ticketId, e);
        break;
      case 'ChildRunStarted':
        children.set(e.data.nodeId, e);
        break;
      case 'QuestionAnswered': {
        const asked = questions.get(e.data.questionId);
        if (mine && asked) {
          waits.push({
            kind: 'question',
            startedAt: asked.at,
            endedAt: e.at,
            attributes: {
              'aob.node.id': asked.data.nodeId,
              'aob.question.id': e.data.questionId,
              'aob.question.answered_by': e.data.by,
              'aob.wait.timed_out': e.data.timedOut === true,
            },
          });
        }
        break;
      }
      case 'TimerFired': {
        const timer = timers.get(e.data.timerId);
        if (!mine || !timer) break;
        if (timer.type === 'TimerScheduled' && timer.data.purpose === 'timer') {
          waits.push({
            kind: 'timer',
            startedAt: timer.at,
            endedAt: e.at,
            attributes: { 'aob.node.id': timer.data.nodeId, 'aob.timer.id': e.data.timerId },
          });
        } else if (timer.type === 'NodeRetryScheduled') {
          waits.push({
            kind: 'retry',
            startedAt: timer.at,
            endedAt: e.at,
            attributes: {
              'aob.node.id': timer.data.nodeId,
              'aob.node.attempt': timer.data.attempt,
              ...(timer.data.iteration !== undefined
                ? { 'aob.node.iteration': timer.data.iteration }
                : {}),
              'aob.timer.id': e.data.timerId,
            },
          });
        }
        break;
      }
      case 'NodeSucceeded':
      case 'NodeFailed': {
        if (e.data.iteration !== undefined) break;
        const nodeId = e.data.nodeId;
        const ticket = tickets.get(nodeId);
        tickets.delete(nodeId);
        const child = children.get(nodeId);
        children.delete(nodeId);
        if (!mine) break;
        const outcome = e.type === 'NodeSucceeded' ? 'succeeded' : 'failed';
        if (ticket) {
          const decided = decisions.get(ticket.data.ticketId);
          waits.push({
            kind: 'approval',
            startedAt: ticket.at,
            endedAt: e.at,
            attributes: {
              'aob.node.id': nodeId,
              'aob.ticket.id': ticket.data.ticketId,
              ...(decided
                ? {
                    'aob.approval.decision': decided.data.decision,
                    'aob.approval.decided_by': decided.data.by,
                    'aob.wait.timed_out': decided.data.timedOut === true,
                  }
                : {}),
            },
          });
        }
        if (child) {
          waits.push({
            kind: 'child',
            startedAt: child.at,
            endedAt: e.at,
            attributes: {
              'aob.node.id': nodeId,
              'aob.child_run.id': child.data.childRunId,
              'aob.node.outcome': outcome,
            },
          });
        }
        break;
      }
      default:
        break;
    }
  }
  return waits;
}
