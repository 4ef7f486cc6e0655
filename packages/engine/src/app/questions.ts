// Questions to people (an `ask` node's, an agent's `ask_user`) as people see them, and the checks
// an answer must pass before it is handed to the run: the core checks only that the question is
// open and that the answer is one of its choices; the shell checks the answer against the
// question's JSON Schema (ajv) — here, so the local engine, `aob dev` and every service refuse
// the same answers with the same problems. Who may answer is the control plane's to check
// (`packages/control/src/hitl/questions.ts`): locally there is nobody else to be.
import type { AnyRunEvent, Problem, RunState } from '@aob/core';
import {
  AobError,
  isTerminalStatus,
  jsonShapeProblems,
  protoKeyProblems,
  questionUnit,
  serverLimits,
} from '@aob/core';
import type { QuestionView } from '@aob/client';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { ajv2020 } from '../lazy-libraries.js';

export type { QuestionChoice, QuestionView } from '@aob/client';

/** Every question the run's log shows, in the order they were asked, each with its status now. */
export function questionsOf(state: RunState, events: readonly AnyRunEvent[]): QuestionView[] {
  const byId = new Map<string, QuestionView>();
  for (const e of events) {
    if (e.type === 'QuestionAsked') {
      const d = e.data;
      byId.set(d.questionId, {
        questionId: d.questionId,
        runId: state.runId,
        nodeId: d.nodeId,
        ...(d.iteration !== undefined ? { iteration: d.iteration } : {}),
        attempt: d.attempt,
        kind: d.resume ? 'agent' : 'ask',
        status: 'closed',
        question: d.question,
        ...(d.choices ? { choices: [...d.choices] } : {}),
        ...(d.schema ? { schema: d.schema } : {}),
        askees: [...d.askees],
        askedAt: e.at,
        ...(d.dueAt !== undefined ? { dueAt: d.dueAt } : {}),
      });
    } else if (e.type === 'QuestionAnswered') {
      const q = byId.get(e.data.questionId);
      if (!q || q.answered) continue;
      q.status = 'answered';
      q.answered = {
        answer: e.data.answer,
        by: e.data.by,
        at: e.at,
        ...(e.data.timedOut ? { timedOut: true } : {}),
      };
    }
  }
  for (const q of byId.values()) {
    if (q.status === 'answered') delete q.dueAt;
    else if (isOpen(state, q.questionId)) q.status = 'open';
    else delete q.dueAt;
  }
  return [...byId.values()];
}

/**
 * Whether the question is open: unanswered, its node (or map item) still waiting on it, the run
 * live. The same conditions under which the core's decide takes an answer.
 */
export function isOpen(state: RunState, questionId: string): boolean {
  if (isTerminalStatus(state.status)) return false;
  const found = questionUnit(state, questionId);
  const q = found?.unit.question;
  return (
    !!found && !!q && q.questionId === questionId && !q.answered && found.unit.status === 'waiting'
  );
}

/** Why a closed question takes no answer, as a sentence. */
export function closedBecause(q: QuestionView, state: RunState): string {
  if (q.answered) {
    return q.answered.timedOut
      ? `question ${q.questionId} timed out and was answered with its default`
      : `question ${q.questionId} is answered already, by ${q.answered.by}`;
  }
  if (isTerminalStatus(state.status)) {
    return `question ${q.questionId} is closed: run ${q.runId} is ${state.status}`;
  }
  const n = Object.hasOwn(state.nodes, q.nodeId) ? state.nodes[q.nodeId] : undefined;
  return `question ${q.questionId} is closed: node ${q.nodeId} no longer waits on it (${n?.status ?? 'not started'}${n?.error ? `, ${n.error.code}` : ''})`;
}

/**
 * Every problem with `answer` as an answer to `q` (empty: it may be given): that it is JSON the
 * log may hold (finite numbers, not too deep, no `__proto__` keys, no larger than the inputs
 * limit), one of the question's `choices`, and valid against its `schema`. Paths are under
 * `/answer`, as the request body has it.
 */
export function answerProblems(
  q: Pick<QuestionView, 'choices' | 'schema'>,
  answer: unknown,
): Problem[] {
  if (answer === undefined) {
    return [
      { code: 'BAD_ANSWER', path: '/answer', message: 'an answer is required (any JSON value)' },
    ];
  }
  const shape = [...jsonShapeProblems(answer, '/answer'), ...protoKeyProblems(answer, '/answer')];
  if (shape.length > 0) return shape.map((p) => ({ ...p, code: 'BAD_ANSWER' }));
  const size = Buffer.byteLength(JSON.stringify(answer) ?? '', 'utf8');
  const max = serverLimits().maxInputBytes;
  if (size > max) {
    return [
      {
        code: 'BAD_ANSWER',
        path: '/answer',
        message: `is ${size} bytes as JSON; an answer may have at most ${max} (AOB_LIMIT_INPUT_BYTES)`,
      },
    ];
  }
  const problems: Problem[] = [];
  if (q.choices && !q.choices.some((c) => c === answer)) {
    problems.push({
      code: 'BAD_ANSWER',
      path: '/answer',
      message: `must be one of ${q.choices.map((c) => JSON.stringify(c)).join(', ')} (got ${glimpse(answer)})`,
    });
  }
  if (q.schema) problems.push(...schemaProblems(q.schema, answer));
  return problems;
}

/** The error for a refused answer: BAD_ANSWER, naming every problem (as `problems` and `details`). */
export function badAnswer(questionId: string, problems: Problem[]): AobError {
  const e = new AobError(
    'BAD_ANSWER',
    `the answer to question ${questionId} is refused: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n` +
      problems.map((p) => `  ${p.path || '/'}: ${p.message}`).join('\n'),
    { details: problems },
  );
  return Object.assign(e, { problems });
}

// ---- the answer's JSON Schema ------------------------------------------------------------------

let ajv: Ajv2020 | undefined;
/** Compiled schemas by their JSON text: questions of one workflow share one validator. */
const compiled = new Map<string, ValidateFunction | string>();
const MAX_COMPILED = 200;

function validatorOf(schema: Record<string, unknown>): ValidateFunction | string {
  const key = JSON.stringify(schema);
  const hit = compiled.get(key);
  if (hit !== undefined) return hit;
  // Not strict: a question's schema may carry keywords ajv does not know (descriptions, titles).
  ajv ??= new (ajv2020().Ajv2020)({
    allErrors: true,
    strict: false,
    validateFormats: false,
    addUsedSchema: false,
  });
  let v: ValidateFunction | string;
  try {
    v = ajv.compile(schema);
  } catch (err) {
    v = err instanceof Error ? err.message : String(err);
  } finally {
    ajv.removeSchema(schema);
  }
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
  compiled.set(key, v);
  return v;
}

function schemaProblems(schema: Record<string, unknown>, answer: unknown): Problem[] {
  const validate = validatorOf(schema);
  if (typeof validate === 'string') {
    return [
      {
        code: 'BAD_ANSWER',
        path: '/answer',
        message: `cannot be checked: the question's schema is not a valid JSON Schema (${validate})`,
      },
    ];
  }
  if (validate(answer)) return [];
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const e of validate.errors ?? []) {
    const p = { code: 'BAD_ANSWER', path: `/answer${e.instancePath}`, message: describe(e) };
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

/** An ajv error as a person reads it, with the values involved. */
function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `must have the property ${JSON.stringify(p.missingProperty)}`;
    case 'additionalProperties':
      return `must not have the property ${JSON.stringify(p.additionalProperty)}`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'type':
      return `must be ${String(p.type)}`;
    default:
      return e.message ?? `fails ${e.keyword}`;
  }
}

function glimpse(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
