// LangGraph's runs, bridged into OpenTelemetry (ARCHITECTURE §10): a LangChain callback handler
// that opens and closes OTel spans per the GenAI semantic conventions as the graph runs, under
// the agent's `invoke_agent` span (which the adapter makes around the graph's run):
//
//   chat model run  → chat <model>          (CLIENT; model, tokens, response id, finish reasons)
//   tool run        → execute_tool <tool>   (call id; the tool's own spans nest under it)
//
// Chain runs (the graph, its steps) make no span: what runs inside them goes under their parent.
// The model call is traced here, not in the graph's `model` step: LangChain's callbacks see every
// model and tool call the graph makes, with the request's settings and the tool call's id, and one
// place per framework means one `chat` span per call.
import { trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { Serialized } from '@langchain/core/load/serializable';
import type { BaseMessage } from '@langchain/core/messages';
import type { LLMResult } from '@langchain/core/outputs';
import {
  failGenAiSpan,
  outputMessage,
  setChatContent,
  setChatResult,
  setToolResult,
  startChatSpan,
  startToolSpan,
  toolCallPart,
} from '../../telemetry/genai.js';
import type { GenAiMessage, GenAiPart, GenAiServer } from '../../telemetry/genai.js';

export interface LangGraphTraceOptions {
  /** The provider's model id the agent calls (when a run does not name it). */
  model: string;
  server?: GenAiServer | undefined;
  /** Content capture: messages, tool arguments and results on the spans. */
  capture: boolean;
}

interface Run {
  /** Undefined for a run that makes none (a chain): its children go under its parent. */
  span: Span | undefined;
  /** The context its children start in. */
  ctx: Context;
  /** A tool run's arguments, for its span once it ends (content capture). */
  input?: string;
}

export class OtelCallbackHandler extends BaseCallbackHandler {
  name = 'aob-otel';
  private readonly runs = new Map<string, Run>();

  /** `root`: the context the graph runs in (its `invoke_agent` span's). */
  constructor(
    private readonly root: Context,
    private readonly opts: LangGraphTraceOptions,
  ) {
    // Handlers run in order with the runs they see: a tool's span is open before the tool runs.
    super({ _awaitHandler: true });
  }

  /**
   * The context a tool's function runs in, from the config LangChain hands it (its callbacks'
   * parent run is the tool's run): inside its `execute_tool` span.
   */
  contextOf(config: unknown): Context {
    const callbacks = (config as { callbacks?: { getParentRunId?: () => string | undefined } })
      ?.callbacks;
    const runId =
      typeof callbacks?.getParentRunId === 'function' ? callbacks.getParentRunId() : undefined;
    return (runId !== undefined ? this.runs.get(runId)?.ctx : undefined) ?? this.root;
  }

  /** Ends whatever is still open (a graph run cut short), as it stands. */
  close(): void {
    for (const run of this.runs.values()) run.span?.end();
    this.runs.clear();
  }

  private parentOf(parentRunId: string | undefined): Context {
    return (parentRunId !== undefined ? this.runs.get(parentRunId)?.ctx : undefined) ?? this.root;
  }

  private open(
    runId: string,
    parentRunId: string | undefined,
    span: Span | undefined,
    input?: string,
  ): void {
    const parent = this.parentOf(parentRunId);
    this.runs.set(runId, {
      span,
      ctx: span ? trace.setSpan(parent, span) : parent,
      ...(input !== undefined ? { input } : {}),
    });
  }

  private take(runId: string): Run | undefined {
    const run = this.runs.get(runId);
    this.runs.delete(runId);
    return run;
  }

  // LangChain calls this with the parent run's id fourth (its typings name that place runType).
  override handleChainStart(
    _chain: Serialized,
    _inputs: unknown,
    runId: string,
    parentRunId?: string,
  ): void {
    this.open(runId, parentRunId, undefined);
  }

  override handleChainEnd(_outputs: unknown, runId: string): void {
    this.take(runId);
  }

  override handleChainError(_err: unknown, runId: string): void {
    this.take(runId);
  }

  override handleChatModelStart(
    _llm: Serialized,
    messages: BaseMessage[][],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): void {
    const params = (extraParams?.invocation_params ?? {}) as {
      model?: unknown;
      temperature?: unknown;
      max_tokens?: unknown;
      max_completion_tokens?: unknown;
      response_format?: unknown;
    };
    const model =
      typeof params.model === 'string'
        ? params.model
        : typeof metadata?.ls_model_name === 'string'
          ? metadata.ls_model_name
          : this.opts.model;
    const maxTokens = params.max_tokens ?? params.max_completion_tokens;
    const span = startChatSpan(
      {
        model,
        server: this.opts.server,
        temperature: typeof params.temperature === 'number' ? params.temperature : undefined,
        maxTokens: typeof maxTokens === 'number' ? maxTokens : undefined,
        stream: true,
        ...(params.response_format !== undefined ? { outputType: 'json' as const } : {}),
      },
      this.parentOf(parentRunId),
    );
    if (this.opts.capture) setChatContent(span, (messages[0] ?? []).map(genAiMessage), undefined);
    this.open(runId, parentRunId, span);
  }

  override handleLLMEnd(output: LLMResult, runId: string): void {
    const run = this.take(runId);
    if (!run?.span) return;
    const generation = output.generations[0]?.[0] as
      | { text?: string; message?: BaseMessage; generationInfo?: Record<string, unknown> }
      | undefined;
    const message = generation?.message as
      | (BaseMessage & {
          usage_metadata?: { input_tokens?: number; output_tokens?: number };
          tool_calls?: { id?: string; name: string; args: unknown }[];
        })
      | undefined;
    const meta = (message?.response_metadata ?? {}) as {
      model_name?: unknown;
      model?: unknown;
      finish_reason?: unknown;
      id?: unknown;
    };
    const finish =
      typeof meta.finish_reason === 'string'
        ? meta.finish_reason
        : typeof generation?.generationInfo?.finish_reason === 'string'
          ? generation.generationInfo.finish_reason
          : undefined;
    const responseModel =
      typeof meta.model_name === 'string'
        ? meta.model_name
        : typeof meta.model === 'string'
          ? meta.model
          : undefined;
    const id =
      typeof message?.id === 'string'
        ? message.id
        : typeof meta.id === 'string'
          ? meta.id
          : undefined;
    setChatResult(run.span, {
      responseModel,
      responseId: id,
      ...(finish ? { finishReasons: [finish] } : {}),
      inputTokens: message?.usage_metadata?.input_tokens,
      outputTokens: message?.usage_metadata?.output_tokens,
    });
    if (this.opts.capture && message) {
      const calls = (message.tool_calls ?? []).map((c) => toolCallPart(c.id, c.name, c.args));
      setChatContent(run.span, undefined, [outputMessage(message.text, calls, finish)]);
    }
    run.span.end();
  }

  override handleLLMError(err: unknown, runId: string): void {
    const run = this.take(runId);
    if (!run?.span) return;
    failGenAiSpan(run.span, err);
    run.span.end();
  }

  override handleToolStart(
    tool: Serialized,
    input: string,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: Record<string, unknown>,
    runName?: string,
    toolCallId?: string,
  ): void {
    const name = runName ?? tool.id[tool.id.length - 1] ?? 'tool';
    const span = startToolSpan({ name, callId: toolCallId }, this.parentOf(parentRunId));
    this.open(runId, parentRunId, span, input);
  }

  override handleToolEnd(output: unknown, runId: string): void {
    const run = this.take(runId);
    if (!run?.span) return;
    const content = (output as { content?: unknown } | null)?.content ?? output;
    setToolResult(run.span, this.opts.capture, run.input, content);
    run.span.end();
  }

  override handleToolError(err: unknown, runId: string): void {
    const run = this.take(runId);
    if (!run?.span) return;
    failGenAiSpan(run.span, err);
    run.span.end();
  }
}

/** A LangChain message in the conventions' shape. */
function genAiMessage(m: BaseMessage): GenAiMessage {
  const type = m.getType();
  const role =
    type === 'human' ? 'user' : type === 'ai' ? 'assistant' : type === 'system' ? 'system' : type;
  const parts: GenAiPart[] = [];
  if (type === 'tool') {
    const id = (m as BaseMessage & { tool_call_id?: string }).tool_call_id ?? '';
    parts.push({ type: 'tool_call_response', id, response: m.text });
    return { role, parts };
  }
  if (m.text !== '') parts.push({ type: 'text', content: m.text });
  for (const c of (
    m as BaseMessage & { tool_calls?: { id?: string; name: string; args: unknown }[] }
  ).tool_calls ?? []) {
    parts.push(toolCallPart(c.id, c.name, c.args));
  }
  return { role, parts };
}
