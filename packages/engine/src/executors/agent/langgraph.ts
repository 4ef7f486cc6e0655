import { AIMessage, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import type { AIMessageChunk, BaseMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import {
  Command,
  END,
  GraphRecursionError,
  interrupt,
  MemorySaver,
  MessagesAnnotation,
  START,
  StateGraph,
} from '@langchain/langgraph';
import type { AgentQuestion } from '@aob/core';
import { ToolNode, toolsCondition } from '@langchain/langgraph/prebuilt';
import { ChatOpenAICompletions } from '@langchain/openai';
import { context, trace } from '@opentelemetry/api';
import { failGenAiSpan, recordingSpan, serverOf, startAgentSpan } from '../../telemetry/genai.js';
import { modelId, openAIClient } from '../llm.js';
import type { LlmOptions } from '../types.js';
import {
  maxTurnsError,
  responseFormat,
  stopIfAborted,
  toolText,
  TranscriptBuilder,
  UsageMeter,
} from './adapter.js';
import type { AgentAdapter, AgentRunInput, AgentRunResult } from './adapter.js';
import { ASK_USER, askUserTool, isAskError, questionOf } from './ask.js';
import type { AgentTool } from './tools.js';
import { OtelCallbackHandler } from './tracing-langgraph.js';

/** The one conversation a checkpointer of this adapter holds. */
const THREAD = { configurable: { thread_id: 'agent' } };

/**
 * The agent node on LangGraph: a two-node StateGraph (model ⇄ tools) over the messages state,
 * the model streamed from the configured endpoint's Chat Completions API, without retries. The
 * model node counts the model's replies in the conversation and stops at `maxTurns`, so both
 * adapters mean the same by a turn; the recursion limit is a backstop. With `with.ask` the graph
 * runs under a checkpointer and its `ask` step (after the other tool calls of the same reply)
 * calls interrupt() per ask_user call; the checkpoints are returned as the saved state, and
 * resumed with `Command({ resume: answer })` the graph goes on from that step, calling neither
 * the model nor any tool for a step it had already checkpointed.
 *
 * Traced when the span it runs under records: an `invoke_agent <nodeId>` span around the graph's
 * run, and the model and tool calls under it (a callback handler, tracing-langgraph.ts).
 */
export const langGraphAdapter = {
  /** `handler`: the run's tracing, when traced (see `traced`). */
  async run(input: AgentRunInput, handler?: OtelCallbackHandler): Promise<AgentRunResult> {
    if (handler === undefined && recordingSpan()) {
      return traced(input, (h) => langGraphAdapter.run(input, h));
    }
    const { config, llm, signal } = input;
    const tools = input.tools.map((t) => lcTool(t, signal, handler));
    const format = responseFormat(config);
    const model = (await chatModel(llm, config.model)).bindTools(
      config.ask ? [...tools, askUserSchema()] : tools,
      format ? { response_format: format } : {},
    );
    const toolNode = new ToolNode(tools);

    // Only the calls made here: those restored from a checkpoint were reported by the job that
    // asked. Turns count every model reply in the conversation, restored ones included.
    const usage = new UsageMeter();
    const graph = new StateGraph(MessagesAnnotation)
      .addNode('model', async (state) => {
        const turns = state.messages.filter((m) => AIMessage.isInstance(m)).length;
        if (turns >= config.maxTurns) throw maxTurnsError(input.nodeId, config.maxTurns);
        let reply: AIMessageChunk | undefined;
        for await (const chunk of await model.stream(state.messages, { signal })) {
          if (chunk.text !== '') input.onDelta?.(chunk.text);
          reply = reply === undefined ? chunk : reply.concat(chunk);
        }
        const u = reply?.usage_metadata;
        if (u) usage.add(u.input_tokens, u.output_tokens, u.total_tokens);
        // Told as soon as the reply is complete: over the budget, the graph stops here, before
        // the reply's tools run.
        input.onModelCall?.({
          promptTokens: u?.input_tokens ?? 0,
          completionTokens: u?.output_tokens ?? 0,
          final: (reply?.tool_calls ?? []).length === 0,
        });
        stopIfAborted(signal);
        return { messages: reply === undefined ? [] : [reply] };
      })
      // The model's other tool calls run in a step of their own before ask_user's, so resuming
      // (which runs the interrupted step again) never runs them twice.
      .addNode('tools', async (state, runConfig) => {
        const calls = lastReply(state.messages)?.tool_calls ?? [];
        const others = calls.filter((c) => c.name !== ASK_USER);
        if (others.length === 0) return { messages: [] };
        const request = new AIMessage({ content: '', tool_calls: others });
        return (await toolNode.invoke({ messages: [request] }, runConfig)) as {
          messages: BaseMessage[];
        };
      })
      .addNode('ask', (state) => ({
        messages: (lastReply(state.messages)?.tool_calls ?? [])
          .filter((c) => c.name === ASK_USER)
          .map((c) => new ToolMessage({ tool_call_id: c.id ?? '', content: askUser(c.args) })),
      }))
      .addEdge(START, 'model')
      .addConditionalEdges('model', toolsCondition, ['tools', END])
      .addConditionalEdges(
        'tools',
        (state) =>
          lastReply(state.messages)?.tool_calls?.some((c) => c.name === ASK_USER) ? 'ask' : 'model',
        ['ask', 'model'],
      )
      .addEdge('ask', 'model');

    // Without ask_user nothing is kept; with it, every step is checkpointed so an interrupt()
    // leaves a run that can go on, and the checkpoints are what the adapter saves.
    const saver = config.ask ? new MemorySaver() : undefined;
    if (saver && input.resume) restoreSaver(saver, input.resume.state);
    const compiled = graph.compile(saver ? { checkpointer: saver } : {});
    const options = {
      signal,
      // model, tools and ask: at most three steps a turn.
      recursionLimit: 3 * config.maxTurns + 1,
      ...(saver ? THREAD : {}),
      ...(handler ? { callbacks: [handler] } : {}),
    };

    const messages: BaseMessage[] = [];
    if (config.instructions !== undefined) messages.push(new SystemMessage(config.instructions));
    messages.push(new HumanMessage(config.prompt));
    let state: typeof MessagesAnnotation.State;
    try {
      state = input.resume
        ? await compiled.invoke(new Command({ resume: input.resume.answer }), options)
        : await compiled.invoke({ messages }, options);
    } catch (err) {
      if (err instanceof GraphRecursionError) throw maxTurnsError(input.nodeId, config.maxTurns);
      throw err;
    }

    let asked: AgentRunResult['asked'];
    if (saver) {
      const snapshot = await compiled.getState(THREAD);
      const pending = snapshot.tasks.flatMap((t) => t.interrupts ?? []);
      const question = pending.map((i) => i.value as AgentQuestion | undefined).find(Boolean);
      if (question) {
        state = snapshot.values as typeof MessagesAnnotation.State;
        asked = { question, state: dumpSaver(saver) };
      }
    }

    const transcript = new TranscriptBuilder(config);
    let finalOutput = '';
    let turns = 0;
    for (const m of state.messages) {
      if (AIMessage.isInstance(m)) {
        turns++;
        finalOutput = m.text;
        transcript.message('assistant', m.text);
        for (const call of m.tool_calls ?? []) transcript.call(call.id ?? '', call.name, call.args);
      } else if (ToolMessage.isInstance(m)) {
        transcript.result(m.tool_call_id, m.text);
      }
    }
    const done = { transcript: transcript.entries, usage: usage.usage, turns };
    return asked ? { finalOutput: '', ...done, asked } : { finalOutput, ...done };
  },
} satisfies AgentAdapter;

/**
 * The graph's run in an `invoke_agent <nodeId>` span, with a callback handler that makes the
 * spans of its model and tool calls under it.
 */
async function traced(
  input: AgentRunInput,
  run: (handler: OtelCallbackHandler) => Promise<AgentRunResult>,
): Promise<AgentRunResult> {
  const model = modelId(input.llm, input.config.model);
  const server = serverOf(input.llm.baseUrl);
  const span = startAgentSpan({ name: input.nodeId, model, server, framework: 'langgraph' });
  const ctx = trace.setSpan(context.active(), span);
  const handler = new OtelCallbackHandler(ctx, {
    model,
    server,
    capture: input.llm.captureContent === true,
  });
  try {
    return await context.with(ctx, () => run(handler));
  } catch (err) {
    failGenAiSpan(span, err);
    throw err;
  } finally {
    handler.close();
    span.end();
  }
}

/** The model's latest reply: the one whose tool calls are being answered. */
function lastReply(messages: readonly BaseMessage[]): AIMessage | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (AIMessage.isInstance(m)) return m;
  }
  return undefined;
}

/**
 * One ask_user call, in the graph's `ask` step: LangGraph's interrupt() stops the graph the first
 * time (the checkpointer keeps the run, the call unanswered); run again with
 * `Command({ resume: answer })` from those checkpoints, interrupt() returns the answer, which is
 * the call's result. A malformed call answers the problem instead, so the model can ask properly.
 */
function askUser(args: unknown): string {
  const q = questionOf(args);
  return toolText(isAskError(q) ? q : (interrupt(q) as unknown));
}

/** ask_user as the model is offered it; the `ask` step answers its calls, never a ToolNode. */
function askUserSchema() {
  return {
    type: 'function' as const,
    function: {
      name: askUserTool.name,
      description: askUserTool.description,
      parameters: askUserTool.parameters,
    },
  };
}

/**
 * The checkpointer's contents as text: MemorySaver's own maps, its byte arrays (LangGraph's
 * serialised checkpoints and writes) base64-encoded. Restored into an empty MemorySaver it is
 * the same conversation at the same step, interrupted at the same tool call.
 */
function dumpSaver(saver: MemorySaver): string {
  return JSON.stringify({ storage: saver.storage, writes: saver.writes }, (_k, v: unknown) =>
    v instanceof Uint8Array ? { $b64: Buffer.from(v).toString('base64') } : v,
  );
}

function restoreSaver(saver: MemorySaver, text: string): void {
  const bytes = (v: unknown): unknown =>
    v !== null && typeof v === 'object' && typeof (v as { $b64?: unknown }).$b64 === 'string'
      ? new Uint8Array(Buffer.from((v as { $b64: string }).$b64, 'base64'))
      : v;
  const saved = JSON.parse(text, (_k, v: unknown) => bytes(v)) as {
    storage: MemorySaver['storage'];
    writes: MemorySaver['writes'];
  };
  // JSON has no undefined: an absent parent checkpoint id (or task path) came back as null.
  for (const thread of Object.values(saved.storage)) {
    for (const ns of Object.values(thread)) {
      for (const entry of Object.values(ns)) if (entry[2] === null) entry[2] = undefined;
    }
  }
  for (const writes of Object.values(saved.writes)) {
    for (const w of Object.values(writes)) if (w[3] === null) w.length = 3;
  }
  saver.storage = saved.storage;
  saver.writes = saved.writes;
}

async function chatModel(llm: LlmOptions, name: string): Promise<ChatOpenAICompletions> {
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
  chat.client = await openAIClient(llm);
  return chat;
}

function lcTool(t: AgentTool, signal: AbortSignal, handler?: OtelCallbackHandler) {
  // Traced, the tool runs inside its `execute_tool` span: the spans it makes nest under it.
  const run = (args: unknown, config: unknown) =>
    handler
      ? context.with(handler.contextOf(config), () => t.run(args, signal))
      : t.run(args, signal);
  return tool(async (args: unknown, config: unknown) => toolText(await run(args, config)), {
    name: t.name,
    description: t.description,
    schema: t.parameters,
    // LangChain checks the arguments against the schema before the tool runs; the model reads
    // what was wrong (the other adapter lets the tool's own checks answer).
    verboseParsingErrors: true,
  });
}
