import {
  Agent,
  MaxTurnsExceededError,
  OpenAIChatCompletionsModel,
  Runner,
  RunState,
  getGlobalTraceProvider,
  setTracingDisabled,
  tool,
} from '@openai/agents';
import type {
  AgentInputItem,
  JsonSchemaDefinition,
  Model,
  RunToolApprovalItem,
} from '@openai/agents';
import type { AgentQuestion } from '@aob/core';
import { modelId, openAIClient } from '../llm.js';
import {
  maxTurnsError,
  responseFormat,
  stopIfAborted,
  toolText,
  TranscriptBuilder,
  UsageMeter,
} from './adapter.js';
import type { AgentAdapter, AgentRunInput, AgentRunResult } from './adapter.js';
import { askUserTool, isAskError, questionOf } from './ask.js';
import type { AgentTool } from './tools.js';

/**
 * What this adapter saves when its agent asks: the SDK's RunState as `toString()` gives it, the
 * ask_user call it stopped on, and how many model responses the state already holds (so a
 * resumed run reports only the usage of the calls it makes itself).
 */
interface SavedRun {
  runState: string;
  callId: string;
  responses: number;
}

/** The SDK types a non-strict JSON Schema narrowly; ours are plain JSON Schema objects. */
type NonStrictSchema = Extract<JsonSchemaDefinition['schema'], { additionalProperties: true }>;

// Traces would be exported to api.openai.com; the engine records runs in its own event log. The
// provider is created now, while the module loads, so that its process listeners are among those
// the loader takes off (quiet-tracing.ts).
setTracingDisabled(true);
getGlobalTraceProvider();

/**
 * The agent node on the OpenAI Agents SDK, speaking Chat Completions to the configured endpoint
 * (any OpenAI-compatible server), streamed, without retries and without tracing. With `with.ask`
 * an ask_user call interrupts the run (a tool that needs approval) and the SDK's RunState is
 * returned serialised; resumed, the state is restored and the call approved, so the run goes on
 * from that tool call without calling the model for anything it had already answered.
 */
export const openAIAgentsAdapter: AgentAdapter = {
  async run(input: AgentRunInput): Promise<AgentRunResult> {
    const { config, llm, signal } = input;
    const format = responseFormat(config);
    const tools = input.tools.map((t) => sdkTool(t, signal));
    if (config.ask) tools.push(askTool(input.resume?.answer));
    const agent = new Agent({
      name: 'aob-agent',
      instructions: config.instructions ?? '',
      model: metered(
        new OpenAIChatCompletionsModel(openAIClient(llm), modelId(llm, config.model)),
        input,
      ),
      tools,
      // Sent as is rather than as an outputType: the SDK would judge the final output itself;
      // the executor does, the same way for every adapter.
      ...(format ? { modelSettings: { providerData: { response_format: format } } } : {}),
    });
    const runner = new Runner({ tracingDisabled: true });
    // Resumed: the SDK's own saved run, its ask_user call approved, so the tool runs and answers.
    let saved: SavedRun | undefined;
    let start: string | RunState<unknown, typeof agent> = config.prompt;
    if (input.resume) {
      saved = JSON.parse(input.resume.state) as SavedRun;
      const state = await RunState.fromString(agent, saved.runState);
      const asked = state
        .getInterruptions()
        .find((i) => i.rawItem.type === 'function_call' && i.rawItem.callId === saved!.callId);
      if (asked) state.approve(asked);
      start = state;
    }
    let result;
    try {
      result = await runner.run(agent, start, {
        maxTurns: config.maxTurns,
        signal,
        stream: true,
      });
      for await (const event of result) {
        if (event.type === 'raw_model_stream_event' && event.data.type === 'output_text_delta') {
          input.onDelta?.(event.data.delta);
        }
      }
      await result.completed;
      if (result.error !== undefined && result.error !== null) throw result.error;
    } catch (err) {
      if (err instanceof MaxTurnsExceededError) throw maxTurnsError(input.nodeId, config.maxTurns);
      throw err;
    }

    const transcript = new TranscriptBuilder(config);
    let finalOutput = '';
    for (const item of result.history) finalOutput = record(transcript, item) ?? finalOutput;
    const usage = new UsageMeter();
    // The responses restored from a saved run were made (and reported) by the job that asked.
    for (const r of result.rawResponses.slice(saved?.responses ?? 0)) {
      usage.add(r.usage.inputTokens, r.usage.outputTokens, r.usage.totalTokens);
    }
    const done = {
      transcript: transcript.entries,
      usage: usage.usage,
      turns: result.rawResponses.length,
    };
    const question = askedBy(result.interruptions);
    if (question) {
      const next: SavedRun = {
        runState: result.state.toString(),
        callId: question.callId,
        responses: result.rawResponses.length,
      };
      return {
        finalOutput: '',
        ...done,
        asked: { question: question.question, state: JSON.stringify(next) },
      };
    }
    return { finalOutput, ...done };
  },
};

/**
 * The model, telling `input.onModelCall` what each call spent as soon as its reply is complete —
 * inside the SDK's own loop, before it runs the reply's tools or calls the model again — and
 * stopping the run there when that aborted `input.signal` (the error ends the SDK's run).
 */
function metered(model: Model, input: AgentRunInput): Model {
  return {
    getResponse: (request) => model.getResponse(request),
    async *getStreamedResponse(request) {
      for await (const event of model.getStreamedResponse(request)) {
        if (event.type === 'response_done') {
          const { usage, output } = event.response;
          input.onModelCall?.({
            promptTokens: usage.inputTokens,
            completionTokens: usage.outputTokens,
            final: !output.some((item) => item.type === 'function_call'),
          });
          stopIfAborted(input.signal);
        }
        yield event;
      }
    },
  };
}

/**
 * ask_user as an SDK tool that needs approval: a well-formed call interrupts the run (the SDK
 * keeps it pending in its RunState) instead of executing. Once the question is answered the call
 * is approved and executes, answering `answer`. A malformed call executes at once, answering the
 * problem, so the model can ask again properly.
 */
function askTool(answer: unknown) {
  return tool({
    name: askUserTool.name,
    description: askUserTool.description,
    parameters: askUserTool.parameters as NonStrictSchema,
    strict: false,
    needsApproval: async (_ctx, args) => !isAskError(questionOf(args)),
    execute: async (args: unknown) => {
      const q = questionOf(args);
      return toolText(isAskError(q) ? q : answer);
    },
  });
}

/** The first pending ask_user call of an interrupted run, with its question. */
function askedBy(
  interruptions: readonly RunToolApprovalItem[] | undefined,
): { callId: string; question: AgentQuestion } | undefined {
  for (const item of interruptions ?? []) {
    const raw = item.rawItem;
    if (raw.type !== 'function_call' || raw.name !== askUserTool.name) continue;
    let args: unknown;
    try {
      args = JSON.parse(raw.arguments);
    } catch {
      continue;
    }
    const q = questionOf(args);
    if (!isAskError(q)) return { callId: raw.callId, question: q };
  }
  return undefined;
}

function sdkTool(t: AgentTool, signal: AbortSignal) {
  return tool({
    name: t.name,
    description: t.description,
    parameters: t.parameters as NonStrictSchema,
    strict: false,
    execute: async (args: unknown) => toolText(await t.run(args, signal)),
  });
}

/** Adds one history item to the transcript; returns the text of an assistant message. */
function record(transcript: TranscriptBuilder, item: AgentInputItem): string | undefined {
  if (item.type === 'function_call') {
    transcript.call(item.callId, item.name, item.arguments);
  } else if (item.type === 'function_call_result') {
    const output = item.output;
    transcript.result(
      item.callId,
      typeof output === 'string' ? output : 'text' in output ? output.text : output,
    );
  } else if (item.type === 'message' || item.type === undefined) {
    if (item.role === 'assistant') {
      const text = item.content
        .map((c) => (c.type === 'output_text' ? c.text : c.type === 'refusal' ? c.refusal : ''))
        .join('');
      transcript.message('assistant', text);
      return text;
    }
  }
  return undefined;
}
