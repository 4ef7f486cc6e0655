import {
  Agent,
  MaxTurnsExceededError,
  OpenAIChatCompletionsModel,
  Runner,
  setTracingDisabled,
  tool,
} from '@openai/agents';
import type { AgentInputItem, JsonSchemaDefinition } from '@openai/agents';
import { modelId, openAIClient } from '../llm.js';
import {
  maxTurnsError,
  responseFormat,
  toolText,
  TranscriptBuilder,
  UsageMeter,
} from './adapter.js';
import type { AgentAdapter, AgentRunInput, AgentRunResult } from './adapter.js';
import type { AgentTool } from './tools.js';

/** The SDK types a non-strict JSON Schema narrowly; ours are plain JSON Schema objects. */
type NonStrictSchema = Extract<JsonSchemaDefinition['schema'], { additionalProperties: true }>;

// Traces would be exported to api.openai.com; the engine records runs in its own event log.
setTracingDisabled(true);

/**
 * The agent node on the OpenAI Agents SDK, speaking Chat Completions to the configured endpoint
 * (any OpenAI-compatible server), streamed, without retries and without tracing.
 */
export const openAIAgentsAdapter: AgentAdapter = {
  async run(input: AgentRunInput): Promise<AgentRunResult> {
    const { config, llm, signal } = input;
    const format = responseFormat(config);
    const agent = new Agent({
      name: 'aob-agent',
      instructions: config.instructions ?? '',
      model: new OpenAIChatCompletionsModel(openAIClient(llm), modelId(llm, config.model)),
      tools: input.tools.map((t) => sdkTool(t, signal)),
      // Sent as is rather than as an outputType: the SDK would judge the final output itself;
      // the executor does, the same way for every adapter.
      ...(format ? { modelSettings: { providerData: { response_format: format } } } : {}),
    });
    const runner = new Runner({ tracingDisabled: true });
    let result;
    try {
      result = await runner.run(agent, config.prompt, {
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
    for (const r of result.rawResponses) {
      usage.add(r.usage.inputTokens, r.usage.outputTokens, r.usage.totalTokens);
    }
    return {
      finalOutput,
      transcript: transcript.entries,
      usage: usage.usage,
      turns: result.rawResponses.length,
    };
  },
};

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
