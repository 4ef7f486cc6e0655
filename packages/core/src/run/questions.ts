// Questions to people: an `ask` node's, and an agent's that suspended its attempt to ask one.
//
// An ask node waits (status `waiting`) from QuestionAsked until QuestionAnswered, then succeeds
// with `{ answer, by }`. An agent's attempt waits the same way, its saved state (`resume`) in the
// content store; once answered, the same attempt's job is sent again with the state and the
// answer, so the agent goes on where it stopped and repeats no model call made before it asked.
// Who may answer and the answer's schema are the shell's to check (the core has no directory and
// no JSON Schema validator); the core refuses answers to questions that are not open and answers
// outside a question's `choices`.
import type { CasRef } from '../content/ref.js';
import type { NodeUsage } from './budget.js';
import type { Command, Trigger } from './commands.js';
import type { Decider } from './decider.js';
import type { IRNode } from '../ir/types.js';
import type { AttemptState, QuestionState } from './state.js';
import { advance, configOf, failNodeForGood, rebuildJob, succeedNode } from './advance.js';
import { questionUnit } from './evolve.js';
import { overspent } from './budget-check.js';

type Choice = string | number | boolean;

/** An ask node starts: its question, evaluated when it started, is put to its askees. */
export function askFromNode(d: Decider, n: IRNode, config: Record<string, unknown>): void {
  if (typeof config.question !== 'string' || config.question === '') {
    failNodeForGood(
      d,
      n,
      {
        code: 'BAD_CONFIG',
        message: `ask node ${n.id}: with.question must be a non-empty string, got ${JSON.stringify(config.question) ?? 'nothing'}`,
        retryable: false,
      },
      1,
    );
    return;
  }
  ask(d, n, undefined, 1, {
    question: config.question,
    choices: choicesOf(config.choices),
    schema: schemaOf(config.schema),
    askees: askeesOf(config.askees),
    timeoutMs: config.timeoutMs,
  });
}

/** An agent's attempt asked a person: it waits, its state saved, until the question is answered. */
export function suspendForQuestion(
  d: Decider,
  trigger: Extract<Trigger, { type: 'nodeSuspended' }>,
): void {
  const n = d.irNode(trigger.nodeId);
  const s = d.state.nodes[trigger.nodeId];
  if (!n || !s) return;
  const unit =
    trigger.iteration === undefined
      ? s.map
        ? undefined
        : s
      : s.map?.iterations[trigger.iteration];
  if (!unit || unit.attempt !== trigger.attempt) return;
  if (unit.status !== 'scheduled' && unit.status !== 'running') return;
  // A result from before the attempt's latest answer (a job delivered twice) asks nothing again.
  if (unit.question?.questionId !== trigger.resumedFrom) return;
  const cfg = configOf(d, n, trigger.iteration);
  const askCfg = (cfg.ask ?? {}) as Record<string, unknown>;
  const q = trigger.question;
  ask(
    d,
    n,
    trigger.iteration,
    trigger.attempt,
    {
      question: typeof q.question === 'string' && q.question !== '' ? q.question : '(no question)',
      choices: choicesOf(q.choices),
      schema: schemaOf(q.schema),
      askees: askeesOf(askCfg.askees),
      timeoutMs: askCfg.timeoutMs,
    },
    { resume: trigger.state, ...(trigger.usage ? { usage: trigger.usage } : {}) },
  );
  // What it spent before asking counts now; otherwise the run may now wait on people only.
  if (!overspent(d)) advance(d, []);
}

/**
 * Someone answered. An ask node succeeds with the answer; an agent's attempt is sent again to go
 * on from its saved state. Ignored when the question is not open or the answer is not a choice.
 */
export function answerQuestion(d: Decider, questionId: string, answer: unknown, by: string): void {
  const found = openQuestion(d, questionId);
  if (!found || by === '') return;
  const { n, iteration, unit, question } = found;
  if (question.choices && !question.choices.includes(answer as Choice)) return;
  const where = { nodeId: n.id, ...(iteration !== undefined ? { iteration } : {}) };
  d.emit('QuestionAnswered', { questionId, ...where, answer, by }, by);
  if (question.resume) {
    d.command({ type: 'dispatch', job: rebuildJob(d, n, iteration, unit.attempt) });
    return;
  }
  succeedNode(d, n, d.blob({ answer, by }), unit.attempt || 1, ['success']);
  advance(d, [n.index]);
}

/**
 * An ask node's question timed out and its policy is `default`: the default answer is recorded
 * (by `timeout`) and the node succeeds through its success and timeout ports. False when the
 * timeout fails the node instead (an agent's question always does).
 */
export function answerByDefault(d: Decider, n: IRNode, question: QuestionState): boolean {
  if (question.resume) return false;
  const cfg = configOf(d, n);
  if (cfg.onTimeout !== 'default') return false;
  const answer = cfg.default ?? null;
  d.emit(
    'QuestionAnswered',
    { questionId: question.questionId, nodeId: n.id, answer, by: 'timeout', timedOut: true },
    'timeout',
  );
  const s = d.state.nodes[n.id]!;
  succeedNode(d, n, d.blob({ answer, by: 'timeout' }), s.attempt || 1, ['success', 'timeout']);
  advance(d, [n.index]);
  return true;
}

/** The open question with this id: unanswered, its node (or map item) still waiting on it. */
export function openQuestion(
  d: Decider,
  questionId: string,
): { n: IRNode; iteration?: number; unit: AttemptState; question: QuestionState } | undefined {
  const found = questionUnit(d.state, questionId);
  const n = found && d.irNode(found.nodeId);
  const question = found?.unit.question;
  if (!found || !n || !question || question.answered || found.unit.status !== 'waiting') {
    return undefined;
  }
  return {
    n,
    ...(found.iteration !== undefined ? { iteration: found.iteration } : {}),
    unit: found.unit,
    question,
  };
}

function ask(
  d: Decider,
  n: IRNode,
  iteration: number | undefined,
  attempt: number,
  q: {
    question: string;
    choices: Choice[] | undefined;
    schema: Record<string, unknown> | undefined;
    askees: string[];
    timeoutMs: unknown;
  },
  agent?: { resume: CasRef; usage?: NodeUsage },
): void {
  const questionId = d.env.newId('question');
  const timeoutMs = typeof q.timeoutMs === 'number' && q.timeoutMs > 0 ? q.timeoutMs : undefined;
  const timer =
    timeoutMs !== undefined
      ? { timerId: d.env.newId('timer'), dueAt: d.env.now + timeoutMs }
      : undefined;
  d.emit('QuestionAsked', {
    questionId,
    nodeId: n.id,
    attempt,
    ...(iteration !== undefined ? { iteration } : {}),
    question: q.question,
    ...(q.choices ? { choices: q.choices } : {}),
    ...(q.schema ? { schema: q.schema } : {}),
    askees: q.askees,
    ...(timer ?? {}),
    ...(agent ? { resume: agent.resume } : {}),
    ...(agent?.usage ? { usage: agent.usage } : {}),
  });
  if (timer) d.command({ type: 'scheduleTimer', ...timer } satisfies Command);
}

function choicesOf(value: unknown): Choice[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const choices = value.filter(
    (c): c is Choice => typeof c === 'string' || typeof c === 'number' || typeof c === 'boolean',
  );
  return choices.length > 0 ? choices : undefined;
}

function schemaOf(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function askeesOf(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((a): a is string => typeof a === 'string' && a !== '')
    : [];
}
