// The question desk: lists and answers questions to people (an `ask` node's, an agent's
// `ask_user`) for an authenticated principal, as the approval desk does tickets (README.md in
// this folder has the rules). It checks who may answer — a question's `askees` take exactly the
// forms approvers take, and a question that names nobody accepts whoever may decide approvals in
// the run's namespace — then hands the answer to the run's owner through RunControl (a run
// command in the cluster), which checks it is open and valid against the question's choices and
// schema, and waits until the answer is in the run's log.
//
// Invariants: the answering identity is always the principal's subject; a question of another
// namespace answers exactly like one that does not exist; nothing is delivered that was refused.
import { AobError } from '@aob/core';
import type { QuestionView, RunControl } from '@aob/engine';
import { answerProblems, badAnswer, pollUntil } from '@aob/engine';
import type { Principal } from '../auth/index.js';
import { allowed, authorize } from '../auth/index.js';
import { isListed } from './approvers.js';

export interface QuestionDeskOptions {
  control: RunControl;
  /** How long an answer waits for the run's owner to apply it. Default 10 s. */
  answerWaitMs?: number;
  /** Between two reads of the run's log while waiting. Default 100 ms. */
  pollMs?: number;
}

export interface QuestionListOptions {
  status: 'open' | 'all';
  /** One run's questions (RUN_NOT_FOUND when it is not the namespace's). */
  runId?: string;
  /** Only those the principal may answer now. */
  mine?: boolean;
  offset?: number;
  limit?: number;
}

const ANSWER_WAIT_MS = 10_000;
const POLL_MS = 100;

export class QuestionDesk {
  private readonly control: RunControl;
  private readonly waitMs: number;
  private readonly pollMs: number;

  constructor(opts: QuestionDeskOptions) {
    this.control = opts.control;
    this.waitMs = opts.answerWaitMs ?? ANSWER_WAIT_MS;
    this.pollMs = opts.pollMs ?? POLL_MS;
  }

  /** Questions of the principal's namespace, each marked `eligible`. */
  async list(principal: Principal, opts: QuestionListOptions): Promise<{ items: QuestionView[] }> {
    authorize(principal, 'listQuestions');
    const all = await this.control.questions({
      all: opts.status === 'all',
      namespace: principal.namespace,
      ...(opts.runId !== undefined ? { runId: opts.runId } : {}),
    });
    const views = all.map((q) => this.viewFor(principal, q));
    const wanted = opts.mine ? views.filter((q) => q.eligible) : views;
    const offset = opts.offset ?? 0;
    return {
      items: wanted.slice(offset, opts.limit === undefined ? undefined : offset + opts.limit),
    };
  }

  /** One question of the principal's namespace, open or not. */
  async get(principal: Principal, questionId: string): Promise<QuestionView> {
    authorize(principal, 'getQuestion');
    return this.viewFor(principal, await this.find(principal, questionId));
  }

  /**
   * Answers an open question as the principal. Refused, with nothing delivered: FORBIDDEN (a role
   * that never answers, or not an askee), QUESTION_NOT_FOUND, QUESTION_CLOSED, BAD_ANSWER (every
   * problem named). Resolves with the question once the answer is in the run's log.
   */
  async answer(principal: Principal, questionId: string, answer: unknown): Promise<QuestionView> {
    authorize(principal, 'answerQuestion');
    const q = await this.find(principal, questionId);
    if (q.status !== 'open') throw new AobError('QUESTION_CLOSED', closedMessage(q));
    if (!this.mayAnswer(principal, q)) {
      throw new AobError(
        'FORBIDDEN',
        `question ${questionId} is for ${describeAskees(q.askees)}; ${describe(principal)} is none of them`,
      );
    }
    const problems = answerProblems(q, answer);
    if (problems.length > 0) throw badAnswer(questionId, problems);
    const by = principal.subject;
    await this.control.answer(questionId, answer, by, principal.namespace);
    const landed = await pollUntil(
      async () => {
        const now = await this.find(principal, questionId);
        if (now.status === 'open') return undefined;
        if (now.answered && now.answered.by === by && !now.answered.timedOut) return now;
        throw new AobError(
          'QUESTION_CLOSED',
          now.answered
            ? `question ${questionId} was answered by ${now.answered.by} before this answer reached run ${now.runId}`
            : `question ${questionId} closed before this answer reached run ${now.runId}`,
        );
      },
      { timeoutMs: this.waitMs, everyMs: this.pollMs },
    );
    if (landed) return this.viewFor(principal, landed);
    throw new AobError(
      'DECISION_PENDING',
      `the answer to question ${questionId} is sent but run ${q.runId}'s owner has not applied it within ${this.waitMs} ms; get the question to see whether it landed before answering again`,
      { retryable: true },
    );
  }

  /**
   * Whether the principal may answer the question: open, a role that may decide approvals (an
   * agent never answers), and one of its askees — or any such role when it names none.
   */
  mayAnswer(principal: Principal, q: QuestionView): boolean {
    return (
      q.status === 'open' &&
      allowed(principal.role, 'answerQuestion') &&
      (q.askees.length === 0 || isListed(principal, q.askees))
    );
  }

  private viewFor(principal: Principal, q: QuestionView): QuestionView {
    return { ...q, eligible: this.mayAnswer(principal, q) };
  }

  private async find(principal: Principal, questionId: string): Promise<QuestionView> {
    const { namespace: _namespace, ...q } = await this.control.question(
      questionId,
      principal.namespace,
    );
    return q;
  }
}

function closedMessage(q: QuestionView): string {
  if (!q.answered) {
    return `question ${q.questionId} is closed: no answer came and node ${q.nodeId} of run ${q.runId} no longer waits on it`;
  }
  return q.answered.timedOut
    ? `question ${q.questionId} timed out and was answered with its default`
    : `question ${q.questionId} is answered already, by ${q.answered.by}`;
}

function describeAskees(askees: readonly string[]): string {
  return askees.length > 0
    ? askees.join(', ')
    : 'whoever may decide approvals in its namespace (approver or admin)';
}

function describe(p: Principal): string {
  const groups = p.groups.length > 0 ? `, groups ${p.groups.join(', ')}` : ', no groups';
  return `${p.subject} (role ${p.role}${groups})`;
}
