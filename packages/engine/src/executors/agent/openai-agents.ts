import {
  Agent,
  MaxTurnsExceededError,
  OpenAIChatCompletionsModel,
  Runner,
  RunState,
  getCurrentSpan,
  getGlobalTraceProvider,
  setTraceProcessors,
  setTracingDisabled,
  tool,
} from '@openai/agents';
import { context } from '@opentelemetry/api';
import type {
  AgentInputItem,
  JsonSchemaDefinition,
  Model,
  RunToolApprovalItem,
} from '@openai/agents';
import type { AgentQuestion } from '@aob/core';
import { recordingSpan, serverOf } from '../../telemetry/genai.js';
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
import { OtelTracingProcessor, withAgentScope } from './tracing-openai-agents.js';
import type { AgentTraceScope } from './tracing-openai-agents.js';

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

// The SDK's tracing goes to OpenTelemetry only (tracing-openai-agents.ts): its one processor is
// the bridge, in place of the default one that exports to api.openai.com. A run is traced by the
// SDK only when the span it runs under records (see `run`). The provider is created now, while
// the module loads, so that its process listeners are among those the loader takes off
// (quiet-tracing.ts).
const bridge = new OtelTracingProcessor();
setTraceProcessors([bridge]);
setTracingDisabled(false);
getGlobalTraceProvider();

/** The SDK Agent's name: a saved run names its agent, so it stays the same (the spans show the node id). */
const AGENT_NAME = 'aob-agent';

/**
 * The agent node on the OpenAI Agents SDK, speaking Chat Completions to the configured endpoint
 * (any OpenAI-compatible server), streamed, without retries. Its run is traced (its agent, model
 * calls and tool calls as OTel spans under the node attempt's) when that span records. With `with.ask`
 * an ask_user call interrupts the run (a tool that needs approval) and the SDK's RunState is
 * returned serialised; resumed, the state is restored and the call approved, so the run goes on
 * from that tool call without calling the model for anything it had already answered.
 */
export const openAIAgentsAdapter: AgentAdapter = {
  async run(input: AgentRunInput): Promise<AgentRunResult> {
    const { config, llm, signal } = input;
    const format = responseFormat(config);
    const model = modelId(llm, config.model);
    // Traced only under a span that records: else the SDK makes no span at all.
    const scope: AgentTraceScope | undefined = recordingSpan()
      ? {
          agentName: input.nodeId,
          sdkAgentName: AGENT_NAME,
          model,
          server: serverOf(llm.baseUrl),
          capture: llm.captureContent === true,
        }
      : undefined;
    const tools = input.tools.map((t) => sdkTool(t, signal));
    if (config.ask) tools.push(askTool(input.resume?.answer));
    const agent = new Agent({
      name: AGENT_NAME,
      instructions: config.instructions ?? '',
      model: metered(new OpenAIChatCompletionsModel(await openAIClient(llm), model), input, scope),
      tools,
      // Sent as is rather than as an outputType: the SDK would judge the final output itself;
      // the executor does, the same way for every adapter.
      ...(format ? { modelSettings: { providerData: { response_format: format } } } : {}),
    });
    // The spans' data always includes the messages (the completion's id, finish reason and usage
    // are among them); the bridge keeps them only with content capture on. The SDK hands its
    // spans to the bridge alone: nothing leaves the process but what the OTel exporters send.
    const runner = new Runner({
      tracingDisabled: scope === undefined,
      traceIncludeSensitiveData: true,
      workflowName: `aob agent ${input.nodeId}`,
    });
    // Resumed: the SDK's own saved run, its ask_user call approved, so the tool runs and answers.
    let saved: SavedRun | undefined;
    let start: string | RunState<unknown, typeof agent> = config.prompt;
    if (input.resume) {
      saved = JSON.parse(input.resume.state) as SavedRun;
      const state = await RunState.fromString(agent, saved.runState);
      // The saved run's trace was the asking attempt's: this attempt's spans go under its own.
      state.clearTrace();
      const asked = state
        .getInterruptions()
        .find((i) => i.rawItem.type === 'function_call' && i.rawItem.callId === saved!.callId);
      if (asked) state.approve(asked);
      start = state;
    }
    const streamed = async () => {
      const r = await runner.run(agent, start, {
        maxTurns: config.maxTurns,
        signal,
        stream: true,
      });
      for await (const event of r) {
        if (event.type === 'raw_model_stream_event' && event.data.type === 'output_text_delta') {
          input.onDelta?.(event.data.delta);
        }
      }
      await r.completed;
      if (r.error !== undefined && r.error !== null) throw r.error;
      return r;
    };
    let result;
    try {
      // With a scope, the SDK's spans started in this run are bridged under the active span.
      result = scope
        ? await context.with(withAgentScope(context.active(), scope), streamed)
        : await streamed();
    } catch (err) {
      if (err instanceof MaxTurnsExceededError) throw maxTurnsError(input.nodeId, config.maxTurns);
      throw err;
    } finally {
      if (scope) bridge.close(scope);
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
function metered(model: Model, input: AgentRunInput, scope?: AgentTraceScope): Model {
  return {
    getResponse: (request) => model.getResponse(request),
    async *getStreamedResponse(request) {
      for await (const event of model.getStreamedResponse(request)) {
        if (scope && event.type === 'response_started') {
          // The model the provider says answers, for the call's span (the SDK records the one asked).
          const named = (event.providerData as { model?: unknown } | undefined)?.model;
          if (typeof named === 'string' && named !== '') scope.responseModel = named;
        }
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
    // Run inside the call's `execute_tool` span (the SDK's function span, current here), so the
    // spans the tool makes nest under it.
    execute: async (args: unknown, _runContext, details) =>
      toolText(
        await bridge.runTool(getCurrentSpan(), details?.toolCall?.callId, () =>
          t.run(args, signal),
        ),
      ),
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
