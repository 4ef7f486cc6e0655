import { AIMessage, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import type { AIMessageChunk, BaseMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import {
  END,
  GraphRecursionError,
  MessagesAnnotation,
  START,
  StateGraph,
} from '@langchain/langgraph';
import { ToolNode, toolsCondition } from '@langchain/langgraph/prebuilt';
import { ChatOpenAICompletions } from '@langchain/openai';
import { modelId, openAIClient } from '../llm.js';
import type { LlmOptions } from '../types.js';
import {
  maxTurnsError,
  responseFormat,
  toolText,
  TranscriptBuilder,
  UsageMeter,
} from './adapter.js';
import type { AgentAdapter, AgentRunInput, AgentRunResult } from './adapter.js';
import type { AgentTool } from './tools.js';

/**
 * The agent node on LangGraph: a two-node StateGraph (model ⇄ tools) over the messages state,
 * the model streamed from the configured endpoint's Chat Completions API, without retries. The
 * model node counts its calls and stops at `maxTurns`, so both adapters mean the same by a
 * turn; the recursion limit is a backstop.
 */
export const langGraphAdapter: AgentAdapter = {
  async run(input: AgentRunInput): Promise<AgentRunResult> {
    const { config, llm, signal } = input;
    const tools = input.tools.map((t) => lcTool(t, signal));
    const format = responseFormat(config);
    const model = chatModel(llm, config.model).bindTools(
      tools,
      format ? { response_format: format } : {},
    );

    let turns = 0;
    const graph = new StateGraph(MessagesAnnotation)
      .addNode('model', async (state) => {
        if (turns >= config.maxTurns) throw maxTurnsError(input.nodeId, config.maxTurns);
        turns++;
        let reply: AIMessageChunk | undefined;
        for await (const chunk of await model.stream(state.messages, { signal })) {
          if (chunk.text !== '') input.onDelta?.(chunk.text);
          reply = reply === undefined ? chunk : reply.concat(chunk);
        }
        return { messages: reply === undefined ? [] : [reply] };
      })
      .addNode('tools', new ToolNode(tools))
      .addEdge(START, 'model')
      .addConditionalEdges('model', toolsCondition, ['tools', END])
      .addEdge('tools', 'model')
      .compile();

    const messages: BaseMessage[] = [];
    if (config.instructions !== undefined) messages.push(new SystemMessage(config.instructions));
    messages.push(new HumanMessage(config.prompt));
    let state: typeof MessagesAnnotation.State;
    try {
      state = await graph.invoke({ messages }, { signal, recursionLimit: 2 * config.maxTurns + 1 });
    } catch (err) {
      if (err instanceof GraphRecursionError) throw maxTurnsError(input.nodeId, config.maxTurns);
      throw err;
    }

    const transcript = new TranscriptBuilder(config);
    const usage = new UsageMeter();
    let finalOutput = '';
    for (const m of state.messages) {
      if (AIMessage.isInstance(m)) {
        finalOutput = m.text;
        transcript.message('assistant', m.text);
        for (const call of m.tool_calls ?? []) transcript.call(call.id ?? '', call.name, call.args);
        const u = m.usage_metadata;
        if (u) usage.add(u.input_tokens, u.output_tokens, u.total_tokens);
      } else if (ToolMessage.isInstance(m)) {
        transcript.result(m.tool_call_id, m.text);
      }
    }
    return { finalOutput, transcript: transcript.entries, usage: usage.usage, turns };
  },
};

function chatModel(llm: LlmOptions, name: string): ChatOpenAICompletions {
  const chat = new ChatOpenAICompletions({
    model: modelId(llm, name),
    apiKey: llm.apiKey ?? 'no-key',
    configuration: { baseURL: llm.baseUrl, organization: null, project: null },
    maxRetries: 0,
    streaming: true,
    streamUsage: true,
  });
  // The same client as `llm` nodes: nothing read from OPENAI_* environment variables, no
  // retries, no Authorization header without a key.
  chat.client = openAIClient(llm);
  return chat;
}

function lcTool(t: AgentTool, signal: AbortSignal) {
  return tool(async (args: unknown) => toolText(await t.run(args, signal)), {
    name: t.name,
    description: t.description,
    schema: t.parameters,
    // LangChain checks the arguments against the schema before the tool runs; the model reads
    // what was wrong (the other adapter lets the tool's own checks answer).
    verboseParsingErrors: true,
  });
}
