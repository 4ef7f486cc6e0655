// The JSON shapes the MCP tools return, as zod schemas (the SDK publishes them as each tool's
// output schema). They follow the CLI's --json documents (`aob questions list --json`, `aob run
// get --json`); objects stay open (extra properties allowed) so a server newer than this CLI does
// not make its answers invalid.
import { z } from 'zod';

const choice = z.union([z.string(), z.number(), z.boolean()]);

export const questionSchema = z
  .looseObject({
    questionId: z.string(),
    runId: z.string(),
    nodeId: z.string(),
    iteration: z.number().int().optional().describe('the map item that asked, inside a map'),
    attempt: z.number().int(),
    kind: z.enum(['ask', 'agent']),
    status: z.enum(['open', 'answered', 'closed']),
    question: z.string(),
    choices: z.array(choice).optional().describe('the answers allowed; absent: any answer'),
    schema: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('a JSON Schema the answer must be valid against'),
    askees: z
      .array(z.string())
      .describe('who may answer; empty: whoever may decide approvals in the namespace'),
    askedAt: z.number().describe('epoch milliseconds'),
    dueAt: z.number().optional().describe('when the open question times out (epoch ms)'),
    answered: z
      .looseObject({
        answer: z.unknown(),
        by: z.string(),
        at: z.number(),
        timedOut: z.boolean().optional(),
      })
      .optional(),
    eligible: z.boolean().optional().describe('on a server: whether the caller may answer it now'),
  })
  .describe('a question a run put to people');

export const runSchema = z
  .looseObject({
    runId: z.string(),
    status: z.string(),
    output: z.unknown().optional(),
    error: z.unknown().optional(),
    nodes: z.record(z.string(), z.looseObject({ status: z.string(), attempts: z.number() })),
    parentRunId: z.string().optional(),
    replayOf: z.string().optional(),
    fromNode: z.string().optional(),
    waitingOn: z.array(z.string()).optional().describe('approval tickets the run waits on'),
    questions: z.array(z.string()).optional().describe('open questions the run waits on'),
    usage: z.looseObject({}),
    budget: z.looseObject({}).optional(),
    budgetExceeded: z.looseObject({}).optional(),
  })
  .describe('a run, as aob run get --json prints it');
