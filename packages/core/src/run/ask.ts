// Putting a question to people: the QuestionAsked an ask node appends when it starts, and the
// one an agent's suspension appends (questions.ts). Nothing here decides what follows the answer.
import type { CasRef } from '../content/ref.js';
import type { ErrorData } from '../errors.js';
import type { IRNode } from '../ir/types.js';
import type { NodeUsage } from './budget.js';
import type { Command } from './commands.js';
import type { Decider } from './decider.js';

type Choice = string | number | boolean;

/**
 * An ask node starts: its question, evaluated when it started, is put to its askees. Returns the
 * node's failure when its evaluated config asks nothing.
 */
export function askFromNode(
  d: Decider,
  n: IRNode,
  config: Record<string, unknown>,
): ErrorData | undefined {
  if (typeof config.question !== 'string' || config.question === '') {
    return {
      code: 'BAD_CONFIG',
      message: `ask node ${n.id}: with.question must be a non-empty string, got ${JSON.stringify(config.question) ?? 'nothing'}`,
      retryable: false,
    };
  }
  ask(d, n, undefined, 1, {
    question: config.question,
    choices: choicesOf(config.choices),
    schema: schemaOf(config.schema),
    askees: askeesOf(config.askees),
    timeoutMs: config.timeoutMs,
  });
  return undefined;
}

/** Appends the QuestionAsked (and arms its timeout): by an ask node, or by an agent with its state. */
export function ask(
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

export function choicesOf(value: unknown): Choice[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const choices = value.filter(
    (c): c is Choice => typeof c === 'string' || typeof c === 'number' || typeof c === 'boolean',
  );
  return choices.length > 0 ? choices : undefined;
}

export function schemaOf(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function askeesOf(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((a): a is string => typeof a === 'string' && a !== '')
    : [];
}
