// The JSON documents the CLI prints with --json. Their shapes are a contract for scripts and
// tests, so they are built here, field by field, and never by spreading engine objects.
import type { Budget, BudgetBreach, ErrorData, Problem, RunStatus, RunUsage } from '@aob/core';
import type { ApprovalView, RunListItem, RunView, WorkflowView } from '@aob/engine';

export interface RunJson {
  runId: string;
  status: RunStatus;
  output?: unknown;
  error?: ErrorData;
  nodes: Record<string, { status: string; attempts: number }>;
  parentRunId?: string;
  replayOf?: string;
  fromNode?: string;
  waitingOn?: string[];
  /** Open questions the run waits on (answer them: aob answer <questionId> <answer>). */
  questions?: string[];
  /** What the run has spent; `wallMs`: until it ended, or until now. */
  usage: RunUsage & { wallMs: number };
  budget?: Budget;
  budgetExceeded?: BudgetBreach;
}

export function toRunJson(view: RunView, now = Date.now()): RunJson {
  const nodes: RunJson['nodes'] = {};
  for (const [id, node] of Object.entries(view.nodes)) {
    nodes[id] = { status: node.status, attempts: node.attempts };
  }
  return {
    runId: view.runId,
    status: view.status,
    ...(view.output !== undefined && { output: view.output }),
    ...(view.error !== undefined && { error: view.error }),
    nodes,
    ...(view.parentRunId !== undefined && { parentRunId: view.parentRunId }),
    ...(view.replayOf !== undefined && { replayOf: view.replayOf }),
    ...(view.fromNode !== undefined && { fromNode: view.fromNode }),
    ...(view.waitingOn !== undefined &&
      view.waitingOn.length > 0 && { waitingOn: [...view.waitingOn] }),
    ...(view.questions !== undefined &&
      view.questions.length > 0 && { questions: [...view.questions] }),
    usage: { ...view.usage, wallMs: (view.endedAt ?? now) - view.startedAt },
    ...(view.budget !== undefined && { budget: { ...view.budget } }),
    ...(view.budgetExceeded !== undefined && { budgetExceeded: { ...view.budgetExceeded } }),
  };
}

export interface RunListJson {
  runId: string;
  workflow: string;
  status: RunStatus;
  startedAt: string;
}

export function toRunListJson(items: readonly RunListItem[]): RunListJson[] {
  return items.map((r) => ({
    runId: r.runId,
    workflow: r.workflow,
    status: r.status,
    startedAt: isoTime(r.startedAt),
  }));
}

export interface ApprovalJson {
  ticketId: string;
  runId: string;
  nodeId: string;
  status: ApprovalView['status'];
  approvers: string[];
  /** The approval node's message to its approvers. */
  message?: string;
  /** What is under review: the approval node's input (when the caller looked it up). */
  input?: unknown;
}

export function toApprovalsJson(
  items: readonly (ApprovalView & { input?: unknown })[],
): ApprovalJson[] {
  return items.map((t) => ({
    ticketId: t.ticketId,
    runId: t.runId,
    nodeId: t.nodeId,
    status: t.status,
    approvers: [...t.approvers],
    ...(t.message !== undefined && { message: t.message }),
    ...(t.input !== undefined && { input: t.input }),
  }));
}

export interface WorkflowJson {
  name: string;
  version: string;
  irHash: string;
  registeredAt: string;
}

export function toWorkflowJson(w: WorkflowView): WorkflowJson {
  return {
    name: w.name,
    version: w.version,
    irHash: w.irHash,
    registeredAt: isoTime(w.registeredAt),
  };
}

export interface ValidateJson {
  valid: boolean;
  errors: Problem[];
}

export function toValidateJson(result: {
  valid: boolean;
  errors: readonly Problem[];
}): ValidateJson {
  return {
    valid: result.valid && result.errors.length === 0,
    errors: result.errors.map((p) => ({ code: p.code, path: p.path, message: p.message })),
  };
}

export interface ErrorJson {
  error: { code: string; message: string; problems?: Problem[] };
}

/** `{"error":{code,message,problems?}}`; the message is the error's first line (problems are listed apart). */
export function toErrorJson(
  code: string,
  message: string,
  problems?: readonly Problem[],
): ErrorJson {
  const error: ErrorJson['error'] = { code, message: firstLine(message) };
  if (problems && problems.length > 0) {
    error.problems = problems.map((p) => ({ code: p.code, path: p.path, message: p.message }));
  }
  return { error };
}

export function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i === -1 ? s : s.slice(0, i);
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
