import type { CasRef } from '../content/ref.js';
import type { ErrorData } from '../errors.js';
import type { NodeType, Priority } from '../definition/types.js';
import type { BudgetLeft, NodeUsage } from './budget.js';

/** Bus topics (Kafka names; other adapters use them as stream keys), keyed by runId. */
export const Topic = {
  events: 'aob.workflow.events',
  jobsHigh: 'aob.node.jobs.high',
  jobsMedium: 'aob.node.jobs.medium',
  jobsLow: 'aob.node.jobs.low',
  results: 'aob.node.results',
  commands: 'aob.run.commands',
  /**
   * Partial output of running nodes (llm and agent token deltas) for live display: never the
   * event log. Kept briefly (DELTA_RETENTION) and read by whoever shows timelines; any consumer
   * may lose any of them — the whole output is recorded when the node finishes.
   */
  deltas: 'aob.node.deltas',
} as const;
export type Topic = (typeof Topic)[keyof typeof Topic];

/**
 * How long the bus keeps token deltas (Kafka's retention.ms of `aob.node.deltas`) and how many a
 * Redis stream keeps at most: only what a timeline that is following may still want.
 */
export const DELTA_RETENTION = { ms: 60_000, entries: 10_000 } as const;

export const jobTopic = (p: Priority): Topic =>
  p === 'high' ? Topic.jobsHigh : p === 'low' ? Topic.jobsLow : Topic.jobsMedium;

/** A node job: everything a runner needs to execute one attempt, with no access to the log. */
export interface NodeJob {
  runId: string;
  nodeId: string;
  attempt: number;
  iteration?: number;
  irHash: string;
  type: NodeType;
  /** The node's `with` block with its expressions evaluated. */
  config: Record<string, unknown>;
  input: unknown;
  inputRef: CasRef;
  timeoutMs: number;
  priority: Priority;
  /** Stable across retries of the same node (and iteration) in the same run. */
  idempotencyKey: string;
  /**
   * The node is marked `memo: true` (pure: its output depends only on its config and input): a
   * runner with a result memo reuses a stored output for the same type, config and input instead
   * of executing it (runner/memo.ts). Only pure types may be marked (the validator's IMPURE_MEMO).
   */
  memo?: true;
  /**
   * The run's fidelity is fast: its log records no node's start, so the runner sends no `started`
   * result for this job (a bus message and a decision saved per attempt).
   */
  quiet?: true;
  traceparent?: string;
  /**
   * An agent job's access to its run from a cluster runner (ARCHITECTURE §9): a bearer token for
   * the API with the role `agent`, scoped to this run, that stops working at `expiresAt` (epoch
   * ms). Added by the orchestrators' outbox relay as the job is published — never in the log or
   * the outbox; absent locally, where an agent reaches its run in process.
   */
  jobToken?: { token: string; expiresAt: number };
  /**
   * An agent attempt going on after its question was answered: it starts from the state it saved
   * when it asked, with the answer as the ask_user tool's result, and repeats no earlier model call.
   */
  resume?: { questionId: string; state: CasRef; answer: unknown; by: string };
  /**
   * An llm or agent job of a run held to a token or dollar limit: what the run had left of each
   * when the job was sent. The runner stops the attempt once it has spent more (an agent after
   * the model call that crosses it, an llm node's reply cut there) and fails it with
   * BUDGET_EXCEEDED, reporting what it spent; the run's own check then ends or pauses it.
   */
  budgetLeft?: BudgetLeft;
}

/** What an agent asks a person (the ask_user tool's arguments). */
export interface AgentQuestion {
  question: string;
  choices?: (string | number | boolean)[];
  schema?: Record<string, unknown>;
}

/** What a runner reports for one attempt. */
export type NodeResult =
  | { runId: string; nodeId: string; attempt: number; iteration?: number; kind: 'started' }
  | {
      runId: string;
      nodeId: string;
      attempt: number;
      iteration?: number;
      kind: 'succeeded';
      output: CasRef;
      /**
       * The attempt's start was not reported on its own (it ended within the runner's start-report
       * delay): the orchestrator records the start first, in the same decision as this result.
       */
      withStart?: true;
      /** Tokens an llm or agent node reported, priced by the runner (recorded on NodeSucceeded). */
      usage?: NodeUsage;
    }
  | {
      runId: string;
      nodeId: string;
      attempt: number;
      iteration?: number;
      kind: 'failed';
      error: ErrorData;
      /**
       * The attempt's start was not reported on its own (it ended within the runner's start-report
       * delay): the orchestrator records the start first, in the same decision as this result.
       */
      withStart?: true;
      /** Tokens the attempt spent before it failed (llm and agent nodes), priced by the runner. */
      usage?: NodeUsage;
    }
  | {
      runId: string;
      nodeId: string;
      attempt: number;
      iteration?: number;
      /** The agent asked a person: `state` (in the content store) is where it goes on from. */
      kind: 'suspended';
      question: AgentQuestion;
      state: CasRef;
      /**
       * The attempt's start was not reported on its own (it ended within the runner's start-report
       * delay): the orchestrator records the start first, in the same decision as this result.
       */
      withStart?: true;
      /** What the agent spent before it asked (since it resumed, when it did). */
      usage?: NodeUsage;
      /** The job's `resume.questionId`: the question this attempt had gone on from, if any. */
      resumedFrom?: string;
    }
  | {
      runId: string;
      nodeId: string;
      attempt: number;
      /** The map item that logged. */
      iteration?: number;
      level: string;
      message: string;
      kind: 'log';
    };
