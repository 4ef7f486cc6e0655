// The executor → runner contract for an attempt that stops to wait for a person: the executor
// throws a NodeSuspension (never a failure: runExecutor lets it through untouched), and whoever
// runs jobs — the cluster runner and the local engine's runner alike (runner/suspended.ts) —
// reports it as the attempt's `suspended` result. The core then records QuestionAsked and, once
// answered, sends the same attempt's job again with `job.resume`.
import type { AgentQuestion, CasRef } from '@aob/core';

export interface SuspensionDetails {
  /** What the person is asked. */
  question: AgentQuestion;
  /** Where the attempt goes on from, in the content store (the executor's own format). */
  state: CasRef;
  /** Tokens spent by this job before it stopped (since it resumed, when it did). */
  usage: { promptTokens: number; completionTokens: number } | null;
  /** The model the tokens were spent on (prices are looked up by it). */
  model?: string;
}

export class NodeSuspension extends Error {
  readonly question: AgentQuestion;
  readonly state: CasRef;
  readonly usage: SuspensionDetails['usage'];
  readonly model: string | undefined;

  constructor(details: SuspensionDetails) {
    super(`suspended to ask: ${details.question.question}`);
    this.name = 'NodeSuspension';
    this.question = details.question;
    this.state = details.state;
    this.usage = details.usage;
    this.model = details.model;
  }
}

export function isNodeSuspension(err: unknown): err is NodeSuspension {
  return err instanceof NodeSuspension;
}
