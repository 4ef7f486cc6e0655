import { AobError } from '@aob/core';
import type OpenAI from 'openai';
import { loadOpenAI, openAIIfLoaded } from '../lazy-libraries.js';
import {
  chatCompletionMessages,
  failGenAiSpan,
  outputMessage,
  serverOf,
  setChatContent,
  setChatResult,
  startChatSpan,
} from '../telemetry/genai.js';
import { abortError, throwIfAborted } from './abort.js';
import { parseLlmConfig } from './llm-config.js';
import type { LlmConfig } from './llm-config.js';
import { compileOutputSchema } from './llm-schema.js';
import type { Executor, ExecutorContext, ExecutorOptions, LlmOptions } from './types.js';

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface LlmOutput {
  content: string;
  /** With `with.schema`: the content parsed as JSON and valid against the schema. */
  parsed?: unknown;
  /** The model the provider says answered (it may differ from the one requested). */
  model: string;
  /** Null when the endpoint reported no usage (some OpenAI-compatible servers do not). */
  usage: LlmUsage | null;
  finishReason: string | null;
}

/**
 * `llm`: one OpenAI-compatible chat completion, streamed. `with { model, prompt? | messages?,
 * system?, temperature?, maxTokens?, schema?, schemaName? }` → LlmOutput.
 *
 * Token deltas go to `ctx.stream` as they arrive (never persisted); the output holds the whole
 * content. The endpoint and key come from `ctx.options.llm`. The client never retries: the engine
 * does, by the node's retry policy, so a retry is a recorded attempt.
 *
 * Errors: 'BAD_CONFIG', 'LLM_NOT_CONFIGURED', 'LLM_REQUEST_REJECTED' (4xx), 'LLM_REFUSED',
 * 'LLM_BAD_OUTPUT' (not JSON / not valid against the schema) — non-retryable; 'LLM_UNAVAILABLE'
 * (429, 408, 5xx, network) — retryable; 'CANCELLED' / 'TIMEOUT' when `ctx.signal` aborts.
 */
export const llmExecutor: Executor = async (job, ctx) => {
  throwIfAborted(ctx.signal);
  const config = parseLlmConfig(job.config, job.nodeId);
  const validate = config.schema
    ? compileOutputSchema(config.schema.schema, job.nodeId)
    : undefined;
  const llm = requireLlm(ctx.options, job.nodeId);

  let result: Streamed;
  // The model call's span, `chat <model>`, under the attempt's (GenAI semantic conventions).
  const model = modelId(llm, config.model);
  const span = startChatSpan(
    {
      model,
      server: serverOf(llm.baseUrl),
      temperature: config.temperature,
      maxTokens: config.maxTokens,
      stream: true,
      outputType: config.schema ? 'json' : 'text',
    },
    ctx.trace,
  );
  const capture = llm.captureContent === true && span.isRecording();
  if (capture) setChatContent(span, chatCompletionMessages(config.messages), undefined);
  try {
    result = await complete(llm, config, ctx);
  } catch (err) {
    const failure = ctx.signal.aborted ? abortError(ctx.signal) : classify(err, job.nodeId);
    failGenAiSpan(span, failure);
    span.end();
    throw failure;
  }
  setChatResult(span, {
    responseModel: result.model,
    responseId: result.id,
    ...(result.finishReason !== null ? { finishReasons: [result.finishReason] } : {}),
    inputTokens: result.usage?.promptTokens,
    outputTokens: result.usage?.completionTokens,
  });
  if (capture) {
    const text = result.content !== '' ? result.content : result.refusal;
    setChatContent(span, undefined, [outputMessage(text, [], result.finishReason ?? undefined)]);
  }
  span.end();
  // Spent whatever follows: a refusal or a bad output fails the attempt, and its tokens count.
  // (One call is the whole attempt: the run's budget is checked on its result, so an llm node,
  // like an agent, spends at most the one model call that crosses what its run had left.)
  if (result.usage) {
    ctx.spend?.({
      promptTokens: result.usage.promptTokens,
      completionTokens: result.usage.completionTokens,
      model: result.model,
    });
  }

  if (result.content === '' && result.refusal !== '') {
    throw new AobError(
      'LLM_REFUSED',
      `llm node ${job.nodeId}: the model refused: ${result.refusal}`,
      {
        retryable: false,
        details: { refusal: result.refusal },
      },
    );
  }
  const output: LlmOutput = {
    content: result.content,
    model: result.model,
    usage: result.usage,
    finishReason: result.finishReason,
  };
  if (validate) output.parsed = parseOutput(result, validate, job.nodeId);
  return output;
};

interface Streamed {
  content: string;
  refusal: string;
  model: string;
  /** The completion's id, as the provider gave it. */
  id?: string;
  usage: LlmUsage | null;
  finishReason: string | null;
}

async function complete(
  llm: LlmOptions,
  config: LlmConfig,
  ctx: ExecutorContext,
): Promise<Streamed> {
  const client = await openAIClient(llm);
  const model = modelId(llm, config.model);
  const body: OpenAI.Chat.ChatCompletionCreateParamsStreaming = {
    model,
    messages: config.messages,
    stream: true,
    stream_options: { include_usage: true },
  };
  if (config.temperature !== undefined) body.temperature = config.temperature;
  // `max_tokens`, not `max_completion_tokens`: the one every OpenAI-compatible server accepts.
  if (config.maxTokens !== undefined) body.max_tokens = config.maxTokens;
  if (config.schema) {
    body.response_format = {
      type: 'json_schema',
      json_schema: { name: config.schema.name, schema: config.schema.schema, strict: true },
    };
  }

  const stream = await client.chat.completions.create(body, { signal: ctx.signal });
  const out: Streamed = { content: '', refusal: '', model, usage: null, finishReason: null };
  for await (const chunk of stream) {
    if (chunk.model) out.model = chunk.model;
    if (chunk.id && out.id === undefined) out.id = chunk.id;
    if (chunk.usage) {
      out.usage = {
        promptTokens: chunk.usage.prompt_tokens,
        completionTokens: chunk.usage.completion_tokens,
        totalTokens: chunk.usage.total_tokens,
      };
    }
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (choice.finish_reason) out.finishReason = choice.finish_reason;
    const delta = choice.delta;
    if (delta.refusal) out.refusal += delta.refusal;
    if (delta.content) {
      out.content += delta.content;
      emit(ctx, delta.content);
    }
  }
  return out;
}

/** The runner's LLM endpoint; 'LLM_NOT_CONFIGURED' without one. */
export function requireLlm(options: ExecutorOptions, nodeId: string, kind = 'llm'): LlmOptions {
  const llm = options.llm;
  if (!llm || typeof llm.baseUrl !== 'string' || llm.baseUrl === '') {
    throw new AobError(
      'LLM_NOT_CONFIGURED',
      `${kind} node ${nodeId}: no LLM endpoint is configured for this runner`,
      { retryable: false },
    );
  }
  return llm;
}

/**
 * The OpenAI client for `llm`: the endpoint and key passed explicitly, so nothing is read from
 * OPENAI_* environment variables, and no retries (the engine retries, by the node's policy).
 * The client insists on a key; without one configured the Authorization header is dropped.
 * The openai package is imported here, by the first node that needs a client.
 */
export async function openAIClient(llm: LlmOptions): Promise<OpenAI> {
  const { default: OpenAI } = await loadOpenAI();
  return new OpenAI({
    baseURL: llm.baseUrl,
    apiKey: llm.apiKey ?? 'no-key',
    organization: null,
    project: null,
    webhookSecret: null,
    maxRetries: 0,
    ...(llm.apiKey === undefined ? { defaultHeaders: { Authorization: null } } : {}),
  });
}

/** A definition's model name → the provider's model id, through `llm.models` aliases. */
export function modelId(llm: LlmOptions, name: string): string {
  return (llm.models && Object.hasOwn(llm.models, name) ? llm.models[name] : undefined) ?? name;
}

/** Live display must never fail the node. */
export function emit(ctx: ExecutorContext, delta: string): void {
  if (!ctx.stream) return;
  try {
    ctx.stream(delta);
  } catch {
    // ignored: see ExecutorContext.stream
  }
}

function parseOutput(
  result: Streamed,
  validate: (value: unknown) => string[],
  nodeId: string,
): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.content);
  } catch (err) {
    throw new AobError(
      'LLM_BAD_OUTPUT',
      `llm node ${nodeId}: the reply is not JSON (finish reason ${result.finishReason ?? 'unknown'}): ${err instanceof Error ? err.message : String(err)}`,
      { retryable: false, details: { finishReason: result.finishReason } },
    );
  }
  const problems = validate(parsed);
  if (problems.length > 0) {
    throw new AobError(
      'LLM_BAD_OUTPUT',
      `llm node ${nodeId}: the reply does not match with.schema: ${problems.join('; ')}`,
      { retryable: false, details: { problems } },
    );
  }
  return parsed;
}

/**
 * Maps client errors to node errors. The message is the provider's; the key is never in it.
 * `kind` names the node type in messages (`llm`, `agent`).
 */
export function classify(err: unknown, nodeId: string, kind = 'llm'): AobError {
  if (err instanceof AobError) return err;
  // Not loaded: nothing has made a client, so err is none of its errors.
  const OpenAI = openAIIfLoaded()?.default;
  if (OpenAI === undefined) return unavailable(err, nodeId, kind);
  if (err instanceof OpenAI.APIConnectionError) {
    return new AobError(
      'LLM_UNAVAILABLE',
      `${kind} node ${nodeId}: cannot reach the LLM endpoint: ${err.message}`,
      {
        retryable: true,
      },
    );
  }
  if (err instanceof OpenAI.APIError) {
    const status = err.status;
    const details = { status: status ?? null, type: err.type ?? null, code: err.code ?? null };
    const transient = status === undefined || status === 408 || status === 429 || status >= 500;
    return transient
      ? new AobError(
          'LLM_UNAVAILABLE',
          `${kind} node ${nodeId}: the LLM endpoint is unavailable: ${err.message}`,
          { retryable: true, details },
        )
      : new AobError(
          'LLM_REQUEST_REJECTED',
          `${kind} node ${nodeId}: the LLM endpoint rejected the request: ${err.message}`,
          { retryable: false, details },
        );
  }
  return unavailable(err, nodeId, kind);
}

function unavailable(err: unknown, nodeId: string, kind: string): AobError {
  return new AobError(
    'LLM_UNAVAILABLE',
    `${kind} node ${nodeId}: ${err instanceof Error ? err.message : String(err)}`,
    { retryable: true },
  );
}
