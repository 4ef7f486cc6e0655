// The control plane's views (the engine's RunView, PatchView, … — the shapes REST returns as JSON)
// as aob.v1 messages, and aob.v1 enums and numbers as the strings and numbers the control plane
// takes. Every conversion is total over what the views can hold; a request value that has no
// meaning (an UNSPECIFIED enum where one is required, a seq past 2^53) is a ValidationError
// naming the field.
import type { AnyRunEvent, ErrorData, Problem, RunStatus as RunStatusName } from '@aob/core';
import { ValidationError } from '@aob/core';
import type {
  ApprovalView,
  GraphDiff as GraphDiffView,
  PatchView,
  QuestionView,
  RunListItem as RunListItemView,
  RunView as RunViewData,
  ScheduledRunView,
  ScheduleView,
  WorkflowView,
} from '@aob/engine';
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import type { Principal } from '../auth/index.js';
import type { ApprovalSchema } from '../generated/aob/v1/approvals_pb.js';
import { ApprovalStatus } from '../generated/aob/v1/approvals_pb.js';
import type { ErrorDataSchema, RunEventSchema } from '../generated/aob/v1/common_pb.js';
import { RunStatus } from '../generated/aob/v1/common_pb.js';
import type { PrincipalSchema } from '../generated/aob/v1/identity_pb.js';
import { Role } from '../generated/aob/v1/identity_pb.js';
import type { GraphDiffSchema, PatchSchema } from '../generated/aob/v1/patches_pb.js';
import { PatchScope, PatchStatus } from '../generated/aob/v1/patches_pb.js';
import type { QuestionSchema } from '../generated/aob/v1/questions_pb.js';
import { QuestionKind, QuestionStatus } from '../generated/aob/v1/questions_pb.js';
import type { RunListItemSchema, RunViewSchema } from '../generated/aob/v1/runs_pb.js';
import type { ScheduledRunSchema, ScheduleSchema } from '../generated/aob/v1/schedules_pb.js';
import type { WorkflowSchema } from '../generated/aob/v1/workflows_pb.js';
import { jsonField } from './json-fields.js';

type Msg<T extends DescMessage> = MessageInitShape<T>;

/** A generated enum (`RUNNING = 1`, …, `UNSPECIFIED = 0`) as a map between names and numbers. */
type ProtoEnum = Record<string, string | number>;

/** The number of the enum value named like `name` (`running` → RUNNING). */
export function toEnum<E extends ProtoEnum>(e: E, name: string): E[keyof E] {
  const value = e[name.toUpperCase().replace(/-/g, '_')];
  if (typeof value !== 'number') throw new Error(`no enum value for "${name}"`);
  return value as E[keyof E];
}

/**
 * The lower-case name of an enum value a request carries (`RUNNING` → `running`); UNSPECIFIED or
 * an unknown number is a ValidationError at `path`.
 */
export function fromEnum<E extends ProtoEnum>(e: E, value: number, path: string): string {
  const name = e[value];
  if (typeof name !== 'string' || value === 0) {
    const known = Object.keys(e)
      .filter((k) => Number.isNaN(Number(k)) && e[k] !== 0)
      .map((k) => k.toLowerCase());
    throw new ValidationError(
      [{ code: 'BAD_ENUM', path, message: `must be one of ${known.join(', ')} (got ${value})` }],
      'request',
    );
  }
  return name.toLowerCase();
}

/** An int64 of a request as a number; past 2^53 it cannot name a seq or a time. */
export function safeNumber(value: bigint, path: string): number {
  if (value < BigInt(Number.MIN_SAFE_INTEGER) || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ValidationError(
      [{ code: 'BAD_NUMBER', path, message: `must be a safe integer (got ${value})` }],
      'request',
    );
  }
  return Number(value);
}

const int64 = (n: number): bigint => BigInt(Math.trunc(n));

export function errorDataMessage(e: ErrorData): Msg<typeof ErrorDataSchema> {
  return {
    code: e.code,
    message: e.message,
    retryable: e.retryable,
    ...(e.details !== undefined ? { detailsJson: jsonField('error.details', e.details) } : {}),
  };
}

export function runViewMessage(v: RunViewData, namespace: string): Msg<typeof RunViewSchema> {
  return {
    runId: v.runId,
    workflow: v.workflow,
    status: toEnum(RunStatus, v.status),
    ...(v.output !== undefined ? { outputJson: jsonField('output', v.output) } : {}),
    ...(v.error ? { error: errorDataMessage(v.error) } : {}),
    nodes: Object.fromEntries(
      Object.entries(v.nodes).map(([id, n]) => [id, { status: n.status, attempts: n.attempts }]),
    ),
    startedAt: int64(v.startedAt),
    ...(v.endedAt !== undefined ? { endedAt: int64(v.endedAt) } : {}),
    ...(v.parentRunId !== undefined ? { parentRunId: v.parentRunId } : {}),
    ...(v.replayOf !== undefined ? { replayOf: v.replayOf } : {}),
    ...(v.fromNode !== undefined ? { fromNode: v.fromNode } : {}),
    waitingOn: v.waitingOn ?? [],
    questions: v.questions ?? [],
    namespace,
    irHash: v.irHash,
    usage: {
      promptTokens: int64(v.usage.promptTokens),
      completionTokens: int64(v.usage.completionTokens),
      tokens: int64(v.usage.tokens),
      costUsd: v.usage.costUsd,
      nodes: int64(v.usage.nodes),
      unpriced: int64(v.usage.unpriced),
    },
    ...(v.budget ? { budget: budgetMessage(v.budget) } : {}),
    ...(v.budgetExceeded ? { budgetExceeded: { ...v.budgetExceeded } } : {}),
    ...(v.schedule
      ? {
          schedule: {
            scheduleId: v.schedule.scheduleId,
            tick: int64(v.schedule.tick),
            reason: v.schedule.reason,
          },
        }
      : {}),
  };
}

function budgetMessage(b: NonNullable<RunViewData['budget']>) {
  return {
    ...(b.tokens !== undefined ? { tokens: int64(b.tokens) } : {}),
    ...(b.costUsd !== undefined ? { costUsd: b.costUsd } : {}),
    ...(b.wallMs !== undefined ? { wallMs: int64(b.wallMs) } : {}),
    ...(b.nodes !== undefined ? { nodes: int64(b.nodes) } : {}),
    ...(b.onExceeded !== undefined ? { onExceeded: b.onExceeded } : {}),
  };
}

export function runListItemMessage(
  v: RunListItemView,
  namespace: string,
): Msg<typeof RunListItemSchema> {
  return {
    runId: v.runId,
    workflow: v.workflow,
    status: toEnum(RunStatus, v.status),
    startedAt: int64(v.startedAt),
    namespace,
  };
}

export function runStatusName(value: number, path: string): RunStatusName {
  return fromEnum(RunStatus, value, path) as RunStatusName;
}

/** An event of a run's log: the envelope typed, `data` as JSON. */
export function runEventMessage(e: AnyRunEvent): Msg<typeof RunEventSchema> {
  return {
    runId: e.runId,
    seq: int64(e.seq),
    type: e.type,
    at: int64(e.at),
    irHash: e.irHash,
    ...(e.actor !== undefined ? { actor: e.actor } : {}),
    dataJson: jsonField('data', e.data),
  };
}

const problems = (list: readonly Problem[] | undefined) =>
  (list ?? []).map((p) => ({ code: p.code, path: p.path, message: p.message }));

export function patchMessage(v: PatchView): Msg<typeof PatchSchema> {
  return {
    patchId: v.patchId,
    scope: toEnum(PatchScope, v.scope),
    target: v.target,
    ...(v.runId !== undefined ? { runId: v.runId } : {}),
    ...(v.version !== undefined ? { version: v.version } : {}),
    status: toEnum(PatchStatus, v.status),
    author: v.author,
    ...(v.rationale !== undefined ? { rationale: v.rationale } : {}),
    opsJson: jsonField('ops', v.ops),
    violations: problems(v.violations),
    baseIrHash: v.baseIrHash,
    ...(v.irHash !== undefined ? { irHash: v.irHash } : {}),
    added: v.added,
    proposedAt: int64(v.proposedAt),
    reasons: problems(v.reasons),
    reviewers: v.reviewers ?? [],
    ...(v.reviewedBy !== undefined ? { reviewedBy: v.reviewedBy } : {}),
    ...(v.reason !== undefined ? { reason: v.reason } : {}),
  };
}

export function graphDiffMessage(d: GraphDiffView): Msg<typeof GraphDiffSchema> {
  return { ...d };
}

export { problems as problemMessages };

/** A ticket as the approval desk returns it (an ApprovalView, with `eligible` for the caller). */
export function approvalMessage(
  v: ApprovalView & { eligible?: boolean },
): Msg<typeof ApprovalSchema> {
  return {
    ticketId: v.ticketId,
    runId: v.runId,
    nodeId: v.nodeId,
    status: toEnum(ApprovalStatus, v.status),
    approvers: v.approvers,
    quorum: v.quorum,
    ...(v.dueAt !== undefined ? { dueAt: int64(v.dueAt) } : {}),
    ...(v.message !== undefined ? { message: v.message } : {}),
    approvals: (v.approvals ?? []).map((a) => ({
      by: a.by,
      ...(a.reason !== undefined ? { reason: a.reason } : {}),
    })),
    escalated: v.escalated ?? false,
    ...(v.decidedBy !== undefined ? { decidedBy: v.decidedBy } : {}),
    ...(v.reason !== undefined ? { reason: v.reason } : {}),
    eligible: v.eligible ?? false,
  };
}

export function questionMessage(v: QuestionView): Msg<typeof QuestionSchema> {
  return {
    questionId: v.questionId,
    runId: v.runId,
    nodeId: v.nodeId,
    ...(v.iteration !== undefined ? { iteration: v.iteration } : {}),
    attempt: v.attempt,
    kind: toEnum(QuestionKind, v.kind),
    status: toEnum(QuestionStatus, v.status),
    question: v.question,
    choicesJson: (v.choices ?? []).map((c, i) => jsonField(`choices_json[${i}]`, c)),
    ...(v.schema !== undefined ? { schemaJson: jsonField('schema_json', v.schema) } : {}),
    askees: v.askees,
    askedAt: int64(v.askedAt),
    ...(v.dueAt !== undefined ? { dueAt: int64(v.dueAt) } : {}),
    ...(v.answered
      ? {
          answered: {
            answerJson: jsonField('answer_json', v.answered.answer),
            by: v.answered.by,
            at: int64(v.answered.at),
            timedOut: v.answered.timedOut ?? false,
          },
        }
      : {}),
    eligible: v.eligible ?? false,
  };
}

export function workflowMessage(v: WorkflowView): Msg<typeof WorkflowSchema> {
  return {
    name: v.name,
    version: v.version,
    irHash: v.irHash,
    registeredAt: int64(v.registeredAt),
  };
}

export function principalMessage(p: Principal): Msg<typeof PrincipalSchema> {
  return {
    subject: p.subject,
    role: toEnum(Role, p.role),
    namespace: p.namespace,
    groups: p.groups,
    tokenId: p.tokenId,
    ...(p.runId !== undefined ? { runId: p.runId } : {}),
    ...(p.expiresAt !== undefined ? { expiresAt: int64(p.expiresAt) } : {}),
  };
}

/** A schedule as the control plane shows it (`GET /v1/schedules/{id}`): times and durations in ms. */
export function scheduleMessage(v: ScheduleView): Msg<typeof ScheduleSchema> {
  const opt = (n: number | undefined) => (n !== undefined ? int64(n) : undefined);
  const some = <T extends Record<string, unknown>>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as {
      [K in keyof T]?: Exclude<T[K], undefined>;
    };
  return {
    scheduleId: v.scheduleId,
    namespace: v.namespace,
    workflow: v.workflow,
    inputsJson: jsonField('inputs', v.inputs ?? {}),
    ...some({
      cron: v.cron,
      timezone: v.timezone,
      everyMs: opt(v.everyMs),
      jitterMs: opt(v.jitterMs),
      startAt: opt(v.startAt),
      endAt: opt(v.endAt),
      note: v.note,
      nextTickAt: opt(v.nextTickAt),
      nextRunAt: opt(v.nextRunAt),
      bufferedTickAt: opt(v.bufferedTickAt),
      lastTickAt: opt(v.lastTickAt),
      lastRunId: v.lastRunId,
    }),
    at: (v.at ?? []).map(int64),
    overlap: v.overlap,
    catchupWindowMs: int64(v.catchupWindowMs),
    paused: v.paused,
    counts: {
      started: int64(v.counts.started),
      skipped: int64(v.counts.skipped),
      missed: int64(v.counts.missed),
      failed: int64(v.counts.failed),
    },
    ...(v.lastError
      ? {
          lastError: {
            tick: int64(v.lastError.tick),
            at: int64(v.lastError.at),
            code: v.lastError.code,
            message: v.lastError.message,
          },
        }
      : {}),
    createdBy: v.createdBy,
    createdAt: int64(v.createdAt),
    updatedAt: int64(v.updatedAt),
  };
}

export function scheduledRunMessage(v: ScheduledRunView): Msg<typeof ScheduledRunSchema> {
  return { runId: v.runId, tick: int64(v.tick), started: v.started };
}
