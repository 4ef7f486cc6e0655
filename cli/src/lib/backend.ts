// One interface for both modes of the CLI: the local engine on AOB_HOME, or a server (AOB_SERVER
// with AOB_TOKEN). Commands talk to a Backend only, so they print the same --json documents and
// exit with the same codes in both modes (ARCHITECTURE §8). Which one a command gets is decided here,
// from the environment, and nowhere else.
import type { AnyRunEvent, Budget, Problem, RunStatus } from '@aob/core';
import { isTerminalStatus } from '@aob/core';
import type {
  ApprovalView,
  Decision,
  GraphDiff,
  NamespaceBudgetView,
  NodeDelta,
  NodeDetail,
  PatchView,
  QuestionView,
  RunListItem,
  RunView,
  ScheduledRunView,
  ScheduleView,
  WorkflowView,
} from '@aob/engine';
import type { BackfillRequest, CreateScheduleRequest } from '@aob/client';
import { isHttpUrl } from '@aob/engine';
import { badInput } from './errors.js';

export type { Decision } from '@aob/engine';

/** Where the live timeline of `run start`, `replay` and `approve` goes. */
export interface EventSink {
  event(e: AnyRunEvent): void;
  delta(d: NodeDelta): void;
}

/**
 * A live view of the runs a command starts or continues. Locally it is fed by the engine's
 * listeners from the moment it is made (before the run id is known); on a server by the run's
 * SSE feed, from its first event, once `track` names the run.
 */
export interface Observer {
  track(runId: string): void;
  /**
   * Called with the run as the wait returned it: resolves once the feed has shown the event that
   * brought the run there (bounded), so the timeline is whole before the final line is printed.
   */
  settle(view: RunView): Promise<void>;
  close(): void;
}

/** One item of a followed run log: a recorded event, or a running node's output delta. */
export type FeedItem = { kind: 'event'; event: AnyRunEvent } | { kind: 'delta'; delta: NodeDelta };

export interface Backend {
  readonly mode: 'local' | 'server';
  /** Who acts when a command does not say: $USER locally, the token's subject on a server. */
  actor(): Promise<string>;

  validate(doc: unknown): Promise<{ valid: boolean; errors: Problem[] }>;
  registerWorkflow(def: unknown): Promise<WorkflowView>;
  listWorkflows(): Promise<WorkflowView[]>;
  showWorkflow(
    ref: string,
    patchIds?: readonly string[],
  ): Promise<{ definition: { name: string; version: string | number }; irHash: string }>;

  /**
   * `ref` is a definition file (read here, sent whole) or a registered `name[@version]`. The run
   * is started by `actor` locally (default $USER); a server takes it from the token.
   */
  /** `budget`: this run's limits (the run is held to these and its definition's, the tightest). */
  start(ref: string, inputs: unknown, opts?: { actor?: string; budget?: Budget }): Promise<string>;
  get(runId: string): Promise<RunView>;
  /** One node of a run: its resolved input and output, its error and its attempts. */
  node(runId: string, nodeId: string): Promise<NodeDetail>;
  list(opts: { status?: RunStatus[]; limit?: number }): Promise<RunListItem[]>;
  wait(runId: string, opts: { timeoutMs?: number; untilSettled?: boolean }): Promise<RunView>;
  /** The recorded events from `fromSeq` on. */
  events(runId: string, fromSeq?: number): Promise<AnyRunEvent[]>;
  /** The log after `afterSeq`, then live events (and deltas) until the run is over. */
  follow(runId: string, opts: { afterSeq: number; deltas: boolean }): AsyncIterable<FeedItem>;
  cancel(runId: string, reason?: string, by?: string): Promise<void>;
  /** The budget of the namespace (locally `default`; on a server the token's); NO_BUDGET if none. */
  namespaceBudget(): Promise<NamespaceBudgetView>;
  /** Sets it (on a server: admin); runs started after it are held to it. */
  setNamespaceBudget(budget: Budget): Promise<NamespaceBudgetView>;
  /** Removes it, returning what it was; NO_BUDGET if none. */
  clearNamespaceBudget(): Promise<NamespaceBudgetView>;
  /**
   * Raises limits of a live run's budget (each above the run's; a paused run goes on once none
   * is crossed). `drivenHere`: this process carries the run on (local only).
   */
  raiseRunBudget(
    runId: string,
    budget: Budget,
    opts: { reason?: string },
  ): Promise<{ runId: string; drivenHere: boolean }>;
  replay(runId: string, fromNode: string, mode: 'freeze' | 'live'): Promise<string>;
  /** Drives a run whose process died (local only: a cluster resumes its runs itself). */
  resume(runId: string): Promise<void>;
  observe(sink: EventSink): Observer;

  approvals(opts: { all?: boolean }): Promise<ApprovalView[]>;
  /** `drivenHere`: this process carries the run on (local only); `by`: who decided. */
  approve(
    ticketId: string,
    decision: Decision,
    opts: { by?: string; reason?: string },
  ): Promise<{ runId: string; drivenHere: boolean; by: string }>;
  reassign(ticketId: string, approvers: string[], reason?: string): Promise<ApprovalView>;

  /**
   * Questions to people: open ones (or `all`), of one run, or only those the caller may answer
   * (`mine`: on a server, the token's; locally every open question, as local mode is one user's).
   */
  questions(opts: { all?: boolean; runId?: string; mine?: boolean }): Promise<QuestionView[]>;
  question(questionId: string): Promise<QuestionView>;
  /**
   * Answers an open question (`by`: $USER locally; a server takes it from the token).
   * `drivenHere`: this process carries the run on (local only).
   */
  answer(
    questionId: string,
    answer: unknown,
    opts?: { by?: string },
  ): Promise<{ runId: string; drivenHere: boolean; by: string; question: QuestionView }>;

  proposePatch(
    target: string,
    patch: unknown,
    opts: { author?: string; rationale?: string },
  ): Promise<PatchView>;
  reviewPatch(
    patchId: string,
    decision: Decision,
    opts: { by?: string; reason?: string },
  ): Promise<PatchView>;
  revertPatch(patchId: string, by?: string): Promise<{ patch: PatchView; revert?: PatchView }>;
  patches(opts: { runId?: string; workflow?: string }): Promise<PatchView[]>;
  patch(patchId: string): Promise<{ patch: PatchView; diff?: GraphDiff }>;

  // Schedules of the namespace (locally `default`; on a server the token's).
  createSchedule(req: CreateScheduleRequest): Promise<ScheduleView>;
  listSchedules(): Promise<ScheduleView[]>;
  getSchedule(scheduleId: string): Promise<ScheduleView>;
  pauseSchedule(scheduleId: string, note?: string): Promise<ScheduleView>;
  resumeSchedule(scheduleId: string, note?: string): Promise<ScheduleView>;
  /** Locally the run is driven here: resolves once it has settled (ended, or waits on a person). */
  triggerSchedule(scheduleId: string): Promise<ScheduledRunView>;
  /** Locally the runs are driven here: resolves once they have settled. */
  backfillSchedule(scheduleId: string, range: BackfillRequest): Promise<ScheduledRunView[]>;
  /** Resolves with the schedule as it was. */
  deleteSchedule(scheduleId: string): Promise<ScheduleView>;

  close(): Promise<void>;
}

/** Which backend the environment asks for. */
export type BackendChoice = { mode: 'local' } | { mode: 'server'; url: string; token: string };

/**
 * AOB_SERVER set (non-empty) means server mode, and then AOB_TOKEN must be set too: every route
 * but none needs a token, so failing here names the missing variable instead of a 401 later.
 */
export function chooseBackend(env: Readonly<Record<string, string | undefined>>): BackendChoice {
  const url = env.AOB_SERVER?.trim();
  if (!url) return { mode: 'local' };
  const problems: Problem[] = [];
  if (!isHttpUrl(url)) {
    problems.push({
      code: 'BAD_URL',
      path: 'AOB_SERVER',
      message: `must be an http(s) URL, not ${JSON.stringify(url)}`,
    });
  }
  const token = env.AOB_TOKEN?.trim();
  if (!token) {
    problems.push({
      code: 'REQUIRED',
      path: 'AOB_TOKEN',
      message: 'is not set: server mode needs a token (an admin creates one: aob token create)',
    });
  }
  if (problems.length > 0) {
    throw badInput(
      'BAD_CONFIG',
      `server mode (AOB_SERVER) is not configured: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}; unset AOB_SERVER to work locally`,
      problems,
    );
  }
  return { mode: 'server', url, token: token! };
}

/** A workflow argument names a file (as the local engine reads it) rather than a registered name. */
export function isWorkflowFile(ref: string): boolean {
  return ref.endsWith('.json') || ref.includes('/') || ref.includes('\\');
}

/** A run in one of these states never changes again (the core's check). */
export const runIsOver: (status: RunStatus) => boolean = isTerminalStatus;
