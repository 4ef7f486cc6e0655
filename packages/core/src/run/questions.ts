// Questions to people: an `ask` node's, and an agent's that suspended its attempt to ask one.
//
// An ask node waits (status `waiting`) from QuestionAsked until QuestionAnswered, then succeeds
// with `{ answer, by }`. An agent's attempt waits the same way, its saved state (`resume`) in the
// content store; once answered, the same attempt's job is sent again with the state and the
// answer, so the agent goes on where it stopped and repeats no model call made before it asked.
// Who may answer and the answer's schema are the shell's to check (the core has no directory and
// no JSON Schema validator); the core refuses answers to questions that are not open and answers
// outside a question's `choices`.
import type { Trigger } from './commands.js';
import type { Decider } from './decider.js';
import type { IRNode } from '../ir/types.js';
import type { AttemptState, QuestionState } from './state.js';
import { advance, configOf, rebuildJob, succeedNode } from './advance.js';
import { ask, askeesOf, choicesOf, schemaOf } from './ask.js';
import { questionUnit } from './evolve.js';
import { overspent } from './budget-check.js';

type Choice = string | number | boolean;

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
