// The question tools: list, show and answer the questions runs put to people (ask nodes, agents'
// ask_user), as `aob questions list` and `aob answer` do, on the same Backend.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { QuestionView } from '@aob/engine';
import { z } from 'zod';
import type { Backend } from '../backend.js';
import { formatGlimpse } from '../render.js';
import type { CarriedRuns } from './carried-runs.js';
import { guarded, success } from './results.js';
import { questionSchema } from './schemas.js';

export function registerQuestionTools(
  server: McpServer,
  backend: Backend,
  carried: CarriedRuns,
): void {
  server.registerTool(
    'question_list',
    {
      title: 'List questions',
      description:
        'The open questions runs put to people (ask nodes, agents), newest last: id, run, node, the question, its choices or JSON Schema, who may answer (askees) and when it times out. `all` includes answered and closed ones; `run` keeps one run’s. On a server, `mine` keeps only those the token may answer now.',
      inputSchema: {
        run: z.string().min(1).optional().describe('only this run’s questions (a run id)'),
        all: z.boolean().optional().describe('include answered and closed questions'),
        mine: z
          .boolean()
          .optional()
          .describe('only those the caller may answer (on a server: by its token)'),
      },
      outputSchema: { questions: z.array(questionSchema) },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ run, all, mine }) =>
      guarded(async () => {
        const questions = await backend.questions({
          ...(run !== undefined ? { runId: run } : {}),
          ...(all ? { all: true } : {}),
          ...(mine ? { mine: true } : {}),
        });
        const none = all ? 'no questions' : 'no open questions';
        const summary =
          questions.length === 0
            ? none
            : [
                `${questions.length} ${all ? '' : 'open '}question${questions.length === 1 ? '' : 's'}:`,
                ...questions.map(describeQuestion),
              ].join('\n');
        return success(summary, { questions });
      }),
  );

  server.registerTool(
    'question_show',
    {
      title: 'Show a question',
      description:
        'One question, open or not: its run and node, the question, its choices or JSON Schema, its askees, when it was asked and is due, and once answered the answer, who gave it and when.',
      inputSchema: { questionId: z.string().min(1).describe('the question (qst_…)') },
      outputSchema: { question: questionSchema },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ questionId }) =>
      guarded(async () => {
        const question = await backend.question(questionId);
        return success(describeQuestion(question), { question });
      }),
  );

  server.registerTool(
    'question_answer',
    {
      title: 'Answer a question',
      description:
        'Answers an open question with any JSON value: it must be one of the question’s choices when it has some, and valid against its JSON Schema when it has one. The run waiting on it goes on. Refusals, with nothing recorded: QUESTION_NOT_FOUND, QUESTION_CLOSED (answered, timed out, or its node or run over), BAD_ANSWER (every problem named with its JSON Pointer under /answer), FORBIDDEN (on a server: not one of its askees).',
      inputSchema: {
        questionId: z.string().min(1).describe('the open question (qst_…)'),
        answer: z
          .unknown()
          .refine((v) => v !== undefined, 'is required')
          .describe('the answer: any JSON value (a choice, or a value valid against its schema)'),
      },
      outputSchema: {
        questionId: z.string(),
        runId: z.string(),
        answer: z.unknown(),
        by: z.string().describe('who answered'),
        drivenHere: z
          .boolean()
          .describe('locally: this server carries the run on (it was driven by no process)'),
        question: questionSchema.describe('the question after the answer'),
      },
      // Answering twice is refused (QUESTION_CLOSED), and an answer overwrites nothing.
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    ({ questionId, answer }) =>
      guarded(async () => {
        const r = await backend.answer(questionId, answer);
        if (r.drivenHere) carried.carry(r.runId);
        // A server answers with the question as answered; locally it is read again.
        const question =
          r.question.status === 'open' ? await backend.question(questionId) : r.question;
        const where =
          backend.mode === 'server'
            ? 'continues on the server'
            : r.drivenHere
              ? 'goes on in this process (aob mcp)'
              : 'continues in the process that drives it';
        return success(
          `question ${questionId} answered by ${r.by}: ${formatGlimpse(answer, 120)}; run ${r.runId} ${where}`,
          {
            questionId,
            runId: r.runId,
            answer,
            by: r.by,
            drivenHere: r.drivenHere,
            question,
          },
        );
      }),
  );
}

function describeQuestion(q: QuestionView): string {
  const where = q.iteration !== undefined ? `${q.nodeId}[${q.iteration}]` : q.nodeId;
  const accepts = q.choices
    ? `choices ${q.choices.map((c) => JSON.stringify(c)).join(' | ')}`
    : q.schema
      ? `JSON valid against ${JSON.stringify(q.schema)}`
      : 'any answer';
  const askees = q.askees.length > 0 ? q.askees.join(', ') : 'approvers';
  const status = q.answered
    ? `answered by ${q.answered.by}: ${formatGlimpse(q.answered.answer, 80)}`
    : q.status;
  return `${q.questionId} (${status}) run ${q.runId}, node ${where}: ${JSON.stringify(q.question)}; ${accepts}; askees ${askees}`;
}
