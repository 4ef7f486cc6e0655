import type { CasRef, Content, ContentHasher } from '../content/ref.js';
import type { ErrorData } from '../errors.js';
import type { AnyRunEvent, ReplaySpec, RunStatus, ScheduledBy } from './events.js';
import type { AgentQuestion, NodeJob } from './messages.js';
import type { IR } from '../ir/types.js';
import type { Budget, BudgetBreach, NodeUsage } from './budget.js';

/** What the shell must do after it has durably appended a decision's events. */
export type Command =
  | { type: 'dispatch'; job: NodeJob }
  | { type: 'scheduleTimer'; timerId: string; dueAt: number }
  | { type: 'cancelTimer'; timerId: string }
  | {
      type: 'startChild';
      childRunId: string;
      workflow: string;
      inputs: unknown;
      parent: { runId: string; nodeId: string };
      /**
       * What the parent has left of its budget, with its policy (`inheritedBudget`): the start
       * trigger's `budget`, so the child is held to the tightest of it and its own definition's.
       */
      budget?: Budget;
    }
  | { type: 'watchChild'; childRunId: string }
  | { type: 'cancelChild'; childRunId: string }
  | { type: 'abortJobs'; runId: string; nodeIds: string[] }
  | {
      type: 'notifyParent';
      parent: { runId: string; nodeId: string };
      childRunId: string;
      status: Extract<RunStatus, 'completed' | 'failed' | 'cancelled'>;
      output?: CasRef;
      error?: ErrorData;
      /** Everything the child spent (`childUsage`): the parent records it on its node. */
      usage?: NodeUsage;
      /** The limit the child ended by, when its budget ended it. */
      budgetExceeded?: BudgetBreach;
    };

/** What happened, from outside the run, that the run must react to. */
export type Trigger =
  | {
      type: 'start';
      runId: string;
      inputs: unknown;
      parent?: { runId: string; nodeId: string };
      replay?: ReplaySpec;
      /** The schedule tick that started the run (recorded in RunStarted). */
      schedule?: ScheduledBy;
      actor?: string;
      /** The tenant of the run (ARCHITECTURE §9); absent: `default`. A child run inherits its parent's. */
      namespace?: string;
      /**
       * Limits besides the definition's (the run's own and its namespace's, already combined by
       * `tightest`): the run is held to the tightest of these and the definition's `budget`.
       */
      budget?: Budget;
    }
  | { type: 'nodeStarted'; nodeId: string; attempt: number; iteration?: number }
  | {
      type: 'nodeSucceeded';
      nodeId: string;
      attempt: number;
      iteration?: number;
      output: CasRef;
      /** What the attempt reported spending (llm and agent nodes), recorded on NodeSucceeded. */
      usage?: NodeUsage;
    }
  | {
      type: 'nodeFailed';
      nodeId: string;
      attempt: number;
      iteration?: number;
      error: ErrorData;
      /** What the attempt spent before it failed, recorded on NodeFailed. */
      usage?: NodeUsage;
    }
  /** An agent asked a person: its attempt waits, its state saved, until the question is answered. */
  | {
      type: 'nodeSuspended';
      nodeId: string;
      attempt: number;
      iteration?: number;
      question: AgentQuestion;
      state: CasRef;
      usage?: NodeUsage;
      /** The question the suspended job had resumed from (its `resume.questionId`), if any. */
      resumedFrom?: string;
    }
  | {
      type: 'nodeLog';
      nodeId: string;
      attempt: number;
      iteration?: number;
      level: string;
      message: string;
    }
  | { type: 'timerFired'; timerId: string }
  | {
      type: 'approve';
      ticketId: string;
      decision: 'approved' | 'rejected';
      by: string;
      reason?: string;
    }
  /**
   * Someone answers an open question. The shell checks who may answer and the answer against the
   * question's schema; decide ignores an answer to a question that is not open, or one not among
   * its choices.
   */
  | { type: 'answer'; questionId: string; answer: unknown; by: string }
  /**
   * Someone changes the limits of a running run (the given ones replace the run's; the others
   * stay). The shell checks who may; a run paused by its budget goes on if no limit is crossed.
   */
  | { type: 'raiseBudget'; budget: Budget; by: string; reason?: string }
  /**
   * An admin replaces the approvers of an open ticket. Approvals given before stop counting
   * toward the quorum; a decided ticket, or one whose node no longer waits, ignores it.
   */
  | { type: 'reassign'; ticketId: string; approvers: string[]; by: string; reason?: string }
  | {
      type: 'childFinished';
      childRunId: string;
      status: 'completed' | 'failed' | 'cancelled';
      output?: CasRef;
      error?: ErrorData;
      /**
       * Everything the child run spent (its tokens, dollars and node executions), recorded on the
       * subworkflow node's NodeSucceeded / NodeFailed so its parent's budget counts it.
       */
      usage?: NodeUsage;
      /** The limit of its budget the child ended by, if it did: its parent checks its own. */
      budgetExceeded?: BudgetBreach;
    }
  | { type: 'cancel'; reason?: string; by?: string }
  /** After a restart: re-issue the commands for work that is in flight according to the log. */
  | { type: 'recover' }
  /**
   * A watchdog's nudge (the cluster's stall sweep): attempts in flight whose deadline — their
   * progress mark plus their timeout plus `graceMs` — has passed are sent again (NodeRedispatched).
   */
  | { type: 'redrive'; graceMs: number }
  /** An agent or a person proposes a patch document (schemas/patch.schema.json) to this run. */
  | { type: 'proposePatch'; patch: unknown; actor?: string }
  | { type: 'revertPatch'; patchId: string; by?: string }
  /** A reviewer decides a held patch; approval re-validates it against the run as it is then. */
  | {
      type: 'reviewPatch';
      patchId: string;
      decision: 'approved' | 'rejected';
      by: string;
      reason?: string;
    };

/** Everything decide needs from the world, injected so decisions never read a clock or RNG. */
export interface DecideEnv {
  /** The time of the trigger, in ms since the epoch; recorded as events' `at`. */
  now: number;
  /** A number in [0, 1) drawn by the shell (jitter); its effect is recorded in the log. */
  random(): number;
  newId(kind: 'timer' | 'ticket' | 'run' | 'patch' | 'question'): string;
  /** Reads a content-addressed value (outputs, inputs). Must know every ref in the state. */
  resolve(ref: CasRef): unknown;
  /** Hashes content; must agree with the core's `contentOf` (a native sha256, say). */
  contentOf?: ContentHasher;
}

export interface Decision {
  /** Events to append, in order, with seqs following the state's seq before the decision. */
  events: AnyRunEvent[];
  commands: Command[];
  /** Values the events reference that the content store must hold before the append. */
  blobs: Blob[];
  /** The IR the run is on after the decision, when a patch moved it to another one. */
  ir?: IR;
}

/** A value an event refers to, with its canonical bytes (what the content store writes). */
export interface Blob extends Content {
  value: unknown;
}
