import type { WorkflowDefinition } from '@aob/core';
import type { FakeReply } from './openai-fake.js';

/**
 * The workflow the GenAI span tests run: an llm node, then one agent on each framework
 * (`openai-agents`, then `langgraph`), in a row, all on the model `gpt-test`. With
 * {@link GENAI_REPLIES} scripted on the OpenAI-compatible fake, each agent calls the `get_graph`
 * tool once (call ids `call_sdk`, `call_graph`) and then answers.
 */
export const GENAI_WORKFLOW = {
  name: 'genai-otlp',
  version: '1',
  nodes: [
    { id: 'summarise', type: 'llm', with: { model: 'gpt-test', prompt: 'Summarise.' } },
    agent('with_sdk', 'openai-agents'),
    agent('with_graph', 'langgraph'),
  ],
  edges: [
    { from: 'summarise', to: 'with_sdk' },
    { from: 'with_sdk', to: 'with_graph' },
  ],
  output: '{% nodes.with_graph.output.output %}',
} as WorkflowDefinition;

/**
 * The model's five replies to {@link GENAI_WORKFLOW}, in the order the nodes ask: the summary,
 * then for each agent a tool call and an answer. Every reply has its own token counts (7/2, 11/3,
 * 13/1, 17/3, 19/2), so a test can tell the chat spans apart by their usage.
 */
export const GENAI_REPLIES: readonly FakeReply[] = [
  { content: 'A summary.', usage: { promptTokens: 7, completionTokens: 2 } },
  {
    toolCalls: [{ id: 'call_sdk', name: 'get_graph', arguments: {} }],
    usage: { promptTokens: 11, completionTokens: 3 },
  },
  { content: 'Seen.', usage: { promptTokens: 13, completionTokens: 1 } },
  {
    toolCalls: [{ id: 'call_graph', name: 'get_graph', arguments: {} }],
    usage: { promptTokens: 17, completionTokens: 3 },
  },
  { content: 'Seen too.', usage: { promptTokens: 19, completionTokens: 2 } },
];

function agent(id: string, framework: string) {
  return { id, type: 'agent', with: { framework, model: 'gpt-test', prompt: 'Look at the run.' } };
}
