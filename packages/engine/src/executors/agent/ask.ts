// The ask_user tool (with.ask), framework-neutral: its name, description, arguments and their
// check. Each adapter makes it suspend its framework's own way — the OpenAI Agents SDK through a
// tool that needs approval (the run is interrupted and its RunState serialised), LangGraph through
// interrupt() under a checkpointer — and, resumed, gives the answer as the call's result.
import type { AgentQuestion } from '@aob/core';
import type { ToolParameters } from './tools.js';

export const ASK_USER = 'ask_user';

export const askUserTool: { name: string; description: string; parameters: ToolParameters } = {
  name: ASK_USER,
  description:
    'Asks a person a question and waits for the answer, which is this call’s result. Use it ' +
    'when you cannot go on without a decision or a fact only a person has. Waiting may take ' +
    'hours; nothing else happens meanwhile.',
  parameters: {
    type: 'object',
    properties: {
      question: { type: 'string', description: 'The question, self-contained.' },
      choices: {
        type: 'array',
        description: 'The answers allowed, when only some are (e.g. ["yes", "no"]).',
        items: { type: ['string', 'number', 'boolean'] },
      },
    },
    required: ['question'],
  },
};

/**
 * The question the model's arguments ask, or the error the model reads instead of a suspension
 * (arguments it can correct).
 */
export function questionOf(
  args: unknown,
): AgentQuestion | { error: { code: string; message: string } } {
  const bad = (message: string) => ({ error: { code: 'BAD_ARGUMENTS', message } });
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    return bad('the arguments must be a JSON object');
  }
  const { question, choices } = args as Record<string, unknown>;
  if (typeof question !== 'string' || question.trim() === '') {
    return bad('question must be a non-empty string');
  }
  if (choices === undefined) return { question };
  if (
    !Array.isArray(choices) ||
    choices.length === 0 ||
    !choices.every((c) => ['string', 'number', 'boolean'].includes(typeof c))
  ) {
    return bad('choices, when given, must be a non-empty array of strings, numbers or booleans');
  }
  return { question, choices: choices as (string | number | boolean)[] };
}

export const isAskError = (
  q: ReturnType<typeof questionOf>,
): q is { error: { code: string; message: string } } => 'error' in q;
