// The approval desk (ARCHITECTURE §7, the hitl service): lists, decides and reassigns approval tickets
// for an authenticated principal. It checks who may do what (README.md in this folder has the
// rules), then hands the decision to the run's owner as a trigger through RunControl's driver —
// a run command on the bus in the cluster — so the orchestrator that owns the run applies it,
// and waits until the decision is in the run's log.
//
// Invariants: the deciding identity is always the principal's subject, never a name a client
// sent; a ticket of another namespace answers exactly like a ticket that does not exist; nothing
// is delivered that the desk refused.
import type { AnyRunEvent, RunState } from '@aob/core';
import { AobError, ValidationError, fold } from '@aob/core';
import type { ApprovalView, RunControl } from '@aob/engine';
import { approvalsOf, pollUntil } from '@aob/engine';
import type { Principal } from '../auth/index.js';
import { allowed, authorize } from '../auth/index.js';
import { approverProblems, isListed } from './approvers.js';

/** A ticket as a principal sees it: `eligible` says whether they may decide it now. */
export interface TicketView extends ApprovalView {
  eligible: boolean;
}

export interface ApprovalDeskOptions {
  control: RunControl;
  /** How long decide and reassign wait for the run's owner to apply them. Default 10 s. */
  decisionWaitMs?: number;
  /** Between two reads of the run's log while waiting. Default 100 ms. */
  pollMs?: number;
}

export interface ListOptions {
  status: 'open' | 'all';
  offset?: number;
  limit?: number;
}

export const MAX_REASON_LENGTH = 2_000;
const DECISION_WAIT_MS = 10_000;
const POLL_MS = 100;

export class ApprovalDesk {
  private readonly control: RunControl;
  private readonly waitMs: number;
  private readonly pollMs: number;

  constructor(opts: ApprovalDeskOptions) {
    this.control = opts.control;
    this.waitMs = opts.decisionWaitMs ?? DECISION_WAIT_MS;
    this.pollMs = opts.pollMs ?? POLL_MS;
  }

  /** The tickets of the principal's namespace (open ones, or all), each marked `eligible`. */
  async list(principal: Principal, opts: ListOptions): Promise<{ items: TicketView[] }> {
    authorize(principal, 'listApprovals');
    const offset = opts.offset ?? 0;
    const all = await this.control.approvals({
      all: opts.status === 'all',
      namespace: principal.namespace,
    });
    const window = all.slice(offset, opts.limit === undefined ? undefined : offset + opts.limit);
    return { items: window.map((t) => this.viewFor(principal, t)) };
  }

  /** One ticket of the principal's namespace. */
  async get(principal: Principal, ticketId: string): Promise<TicketView> {
    authorize(principal, 'listApprovals');
    const { ticket } = await this.find(principal, ticketId);
    return this.viewFor(principal, ticket);
  }

  /**
   * Approves or rejects a ticket as the principal. Resolves with the ticket once the decision is
   * in the run's log (still open when more approvals are needed for the quorum).
   */
  async decide(
    principal: Principal,
    ticketId: string,
    decision: 'approved' | 'rejected',
    reason?: string,
  ): Promise<TicketView> {
    authorize(principal, 'decideApproval');
    const problems = [
      ...(decision === 'approved' || decision === 'rejected'
        ? []
        : [
            {
              code: 'BAD_DECISION',
              path: '/decision',
              message: `must be approved or rejected (got ${JSON.stringify(decision)})`,
            },
          ]),
      ...reasonProblems(reason),
    ];
    if (problems.length > 0) throw new ValidationError(problems, 'decision');
    const { runId, ticket, seq } = await this.find(principal, ticketId);
    refuseUnlessOpen(ticket);
    if (!this.mayDecide(principal, ticket)) {
      throw new AobError(
        'FORBIDDEN',
        `ticket ${ticketId} accepts ${ticket.approvers.join(', ') || 'nobody'}; ${describe(principal)} is none of them`,
      );
    }
    if (decision === 'approved' && ticket.approvals.some((a) => a.by === principal.subject)) {
      throw new AobError(
        'ALREADY_APPROVED',
        `${principal.subject} has approved ticket ${ticketId} already; it needs ${ticket.quorum - ticket.approvals.length} more approval(s) from someone else`,
      );
    }
    const by = principal.subject;
    await this.control.deliver(runId, {
      type: 'approve',
      ticketId,
      decision,
      by,
      ...(reason !== undefined ? { reason } : {}),
    });
    const view = await this.settle(
      runId,
      ticketId,
      seq,
      (e) =>
        e.type === 'ApprovalDecided' &&
        e.data.ticketId === ticketId &&
        e.data.by === by &&
        e.data.decision === decision &&
        e.data.timedOut !== true,
      'decision',
    );
    return this.viewFor(principal, view);
  }

  /**
   * Replaces the approvers of an open ticket (an admin of the ticket's namespace). Approvals
   * given before stop counting: the new approvers decide afresh.
   */
  async reassign(
    principal: Principal,
    ticketId: string,
    approvers: string[],
    reason?: string,
  ): Promise<TicketView> {
    authorize(principal, 'reassignApproval');
    const problems = [...approverProblems(approvers), ...reasonProblems(reason)];
    if (problems.length > 0) throw new ValidationError(problems, 'reassignment');
    const { runId, ticket, seq } = await this.find(principal, ticketId);
    refuseUnlessOpen(ticket);
    const by = principal.subject;
    await this.control.deliver(runId, {
      type: 'reassign',
      ticketId,
      approvers: [...approvers],
      by,
      ...(reason !== undefined ? { reason } : {}),
    });
    const view = await this.settle(
      runId,
      ticketId,
      seq,
      (e) =>
        e.type === 'ApprovalReassigned' &&
        e.data.ticketId === ticketId &&
        e.data.by === by &&
        sameList(e.data.approvers, approvers),
      'reassignment',
    );
    return this.viewFor(principal, view);
  }

  /** Whether the principal may decide the ticket: open, a deciding role, and on its list. */
  mayDecide(principal: Principal, ticket: ApprovalView): boolean {
    return (
      ticket.status === 'open' &&
      allowed(principal.role, 'decideApproval') &&
      isListed(principal, ticket.approvers)
    );
  }

  private viewFor(principal: Principal, ticket: ApprovalView): TicketView {
    return { ...ticket, eligible: this.mayDecide(principal, ticket) };
  }

  /**
   * The ticket as the run's log has it now, and the seq that log ends at. Another namespace's
   * ticket is TICKET_NOT_FOUND, word for word like a ticket that does not exist.
   */
  private async find(
    principal: Principal,
    ticketId: string,
  ): Promise<{ runId: string; ticket: ApprovalView; seq: number }> {
    const notFound = () =>
      new AobError('TICKET_NOT_FOUND', `no approval ticket ${ticketId} in this namespace`);
    // Open tickets first (live runs only: the usual case, and far fewer runs to read), then every
    // run of the namespace, so a decided ticket is TICKET_DECIDED rather than not found.
    let runId = (await this.control.approvals({ namespace: principal.namespace })).find(
      (t) => t.ticketId === ticketId,
    )?.runId;
    if (runId === undefined) {
      try {
        ({ runId } = await this.control.ticket(ticketId, principal.namespace));
      } catch (err) {
        if ((err as { code?: unknown }).code === 'TICKET_NOT_FOUND') throw notFound();
        throw err;
      }
    }
    // Read the run again: the checks and the baseline seq must come from one read of the log.
    const { state, seq } = await this.read(runId);
    const ticket = approvalsOf(state).find((t) => t.ticketId === ticketId);
    if (!ticket) throw notFound();
    return { runId, ticket, seq };
  }

  private async read(
    runId: string,
  ): Promise<{ state: RunState; events: AnyRunEvent[]; seq: number }> {
    const events = await this.control.events(runId);
    return { state: fold(events, runId), events, seq: events.at(-1)?.seq ?? 0 };
  }

  /**
   * Polls the run's log until the delivered trigger shows (an event after `after` that `mine`
   * recognises): resolves with the ticket then. The ticket closing without it (somebody else
   * decided first, the timeout did, the run ended) is TICKET_DECIDED; no sign of it within the
   * wait is DECISION_PENDING, retryable — the trigger is on its way and may still be applied.
   */
  private async settle(
    runId: string,
    ticketId: string,
    after: number,
    mine: (e: AnyRunEvent) => boolean,
    what: 'decision' | 'reassignment',
  ): Promise<ApprovalView> {
    const landed = await pollUntil(
      async () => {
        const { state, events } = await this.read(runId);
        const ticket = approvalsOf(state).find((t) => t.ticketId === ticketId);
        const applied = events.some((e) => e.seq > after && mine(e));
        if (applied && ticket) return ticket;
        if (applied || !ticket || ticket.status !== 'open') {
          throw new AobError(
            'TICKET_DECIDED',
            ticket && ticket.status !== 'open'
              ? `ticket ${ticketId} was ${ticket.status} by ${ticket.decidedBy ?? 'someone'} before this ${what} reached run ${runId}`
              : `run ${runId} is ${state.status}: ticket ${ticketId} is closed`,
          );
        }
        return undefined;
      },
      { timeoutMs: this.waitMs, everyMs: this.pollMs },
    );
    if (landed) return landed;
    throw new AobError(
      'DECISION_PENDING',
      `the ${what} on ticket ${ticketId} is sent but run ${runId}'s owner has not applied it within ${this.waitMs} ms; list the ticket to see whether it landed before sending it again`,
      { retryable: true },
    );
  }
}

function refuseUnlessOpen(ticket: ApprovalView): void {
  if (ticket.status === 'open') return;
  throw new AobError(
    'TICKET_DECIDED',
    `ticket ${ticket.ticketId} is already ${ticket.status}${ticket.decidedBy !== undefined ? ` by ${ticket.decidedBy}` : ''}`,
  );
}

function reasonProblems(reason: unknown) {
  if (reason === undefined) return [];
  if (typeof reason === 'string' && reason.length <= MAX_REASON_LENGTH) return [];
  return [
    {
      code: 'BAD_REASON',
      path: '/reason',
      message: `must be a string of at most ${MAX_REASON_LENGTH} characters`,
    },
  ];
}

function describe(p: Principal): string {
  const groups = p.groups.length > 0 ? `, groups ${p.groups.join(', ')}` : ', no groups';
  return `${p.subject} (role ${p.role}${groups})`;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
