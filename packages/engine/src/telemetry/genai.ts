// The spans of LLM calls and agents (ARCHITECTURE §10), per the OpenTelemetry GenAI semantic
// conventions, with `@opentelemetry/api` only: `chat <model>` (a model call, CLIENT),
// `invoke_agent <name>` (an agent's run), `execute_tool <tool>` (one tool call). They are made
// in the active context — a node attempt's `aob.node` span, or the agent span around them — by
// the llm executor and by the agent frameworks' bridges (executors/agent/tracing-*.ts).
//
// Prompts, completions, tool arguments and results are recorded only when content capture is on
// (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true, LlmOptions.captureContent), as the
// conventions' JSON attributes `gen_ai.input.messages`, `gen_ai.output.messages`,
// `gen_ai.tool.call.arguments`, `gen_ai.tool.call.result`.
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span, TimeInput } from '@opentelemetry/api';
import type { AnyRunEvent } from '@aob/core';
import { toErrorData } from '@aob/core';
import { tracer } from './trace.js';

/** The attribute names used here (semantic conventions 1.37+, `gen_ai.*` still incubating). */
export const GenAi = {
  operation: 'gen_ai.operation.name',
  provider: 'gen_ai.provider.name',
  /** The older name of `gen_ai.provider.name`, still the one some backends read. */
  system: 'gen_ai.system',
  requestModel: 'gen_ai.request.model',
  requestTemperature: 'gen_ai.request.temperature',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestStream: 'gen_ai.request.stream',
  outputType: 'gen_ai.output.type',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  finishReasons: 'gen_ai.response.finish_reasons',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  agentName: 'gen_ai.agent.name',
  toolName: 'gen_ai.tool.name',
  toolCallId: 'gen_ai.tool.call.id',
  toolType: 'gen_ai.tool.type',
  toolDescription: 'gen_ai.tool.description',
  toolArguments: 'gen_ai.tool.call.arguments',
  toolResult: 'gen_ai.tool.call.result',
} as const;

/** Every endpoint aob calls speaks OpenAI's Chat Completions API. */
export const GENAI_PROVIDER = 'openai';

export interface GenAiServer {
  address: string;
  port: number;
}

/** `server.address` and `server.port` of an LLM endpoint's base URL. */
export function serverOf(baseUrl: string | undefined): GenAiServer | undefined {
  if (baseUrl === undefined) return undefined;
  try {
    const u = new URL(baseUrl);
    const port = u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
    return { address: u.hostname, port };
  } catch {
    return undefined;
  }
}

function serverAttributes(server: GenAiServer | undefined): Attributes {
  return server ? { 'server.address': server.address, 'server.port': server.port } : {};
}

// ---------------------------------------------------------------------------------------------
// Messages, in the conventions' JSON shape

export type GenAiPart =
  | { type: 'text'; content: string }
  | { type: 'tool_call'; id: string; name: string; arguments: unknown }
  | { type: 'tool_call_response'; id: string; response: unknown };

export interface GenAiMessage {
  role: string;
  parts: GenAiPart[];
  /** Output messages only. */
  finish_reason?: string;
}

/** JSON text, parsed when it is JSON; anything else as it is. */
function parsedJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

/** The text of a Chat Completions content: a string, or an array of parts with text. */
function textOf(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const texts = content.flatMap((p: unknown) => {
    const part = p as { text?: unknown; refusal?: unknown };
    return typeof part?.text === 'string'
      ? [part.text]
      : typeof part?.refusal === 'string'
        ? [part.refusal]
        : [];
  });
  return texts.length > 0 ? texts.join('') : undefined;
}

/**
 * Chat Completions messages (`{ role, content, tool_calls?, tool_call_id? }`, what the llm node
 * sends and the OpenAI Agents SDK records) in the conventions' shape.
 */
export function chatCompletionMessages(messages: readonly unknown[]): GenAiMessage[] {
  return messages.map((m) => {
    const msg = (m ?? {}) as {
      role?: unknown;
      content?: unknown;
      tool_calls?: unknown;
      tool_call_id?: unknown;
      finish_reason?: unknown;
    };
    const role = typeof msg.role === 'string' ? msg.role : 'user';
    const parts: GenAiPart[] = [];
    const text = textOf(msg.content);
    if (role === 'tool') {
      parts.push({
        type: 'tool_call_response',
        id: typeof msg.tool_call_id === 'string' ? msg.tool_call_id : '',
        response: parsedJson(text ?? msg.content),
      });
    } else if (text !== undefined && text !== '') {
      parts.push({ type: 'text', content: text });
    }
    if (Array.isArray(msg.tool_calls)) {
      for (const c of msg.tool_calls as {
        id?: unknown;
        function?: { name?: unknown; arguments?: unknown };
      }[]) {
        parts.push(toolCallPart(c?.id, c?.function?.name, parsedJson(c?.function?.arguments)));
      }
    }
    return { role, parts };
  });
}

export function toolCallPart(id: unknown, name: unknown, args: unknown): GenAiPart {
  return {
    type: 'tool_call',
    id: typeof id === 'string' ? id : '',
    name: typeof name === 'string' ? name : '',
    arguments: args,
  };
}

/** One model reply as the conventions' output message. */
export function outputMessage(
  text: string | undefined,
  toolCalls: readonly GenAiPart[],
  finishReason: string | undefined,
): GenAiMessage {
  const parts: GenAiPart[] = [];
  if (text !== undefined && text !== '') parts.push({ type: 'text', content: text });
  parts.push(...toolCalls);
  return { role: 'assistant', parts, ...(finishReason ? { finish_reason: finishReason } : {}) };
}

/** JSON text for an attribute: the SDKs' attribute values are primitives or arrays of them. */
export function jsonAttribute(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return String(value);
  }
}

// ---------------------------------------------------------------------------------------------
// chat <model>

export interface ChatRequest {
  /** The model id sent to the provider (after the runner's aliases). */
  model: string;
  server?: GenAiServer | undefined;
  temperature?: number | undefined;
  maxTokens?: number | undefined;
  stream?: boolean;
  /** `json` when the reply must be JSON against a schema. */
  outputType?: 'json' | 'text';
}

export interface ChatResult {
  /** The model the provider says answered. */
  responseModel?: string | undefined;
  responseId?: string | undefined;
  finishReasons?: readonly string[];
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
}

/** The attributes a `chat` span starts with. */
export function chatAttributes(req: ChatRequest): Attributes {
  const a: Attributes = {
    [GenAi.operation]: 'chat',
    [GenAi.provider]: GENAI_PROVIDER,
    [GenAi.system]: GENAI_PROVIDER,
    [GenAi.requestModel]: req.model,
    ...serverAttributes(req.server),
  };
  if (req.temperature !== undefined) a[GenAi.requestTemperature] = req.temperature;
  if (req.maxTokens !== undefined) a[GenAi.requestMaxTokens] = req.maxTokens;
  if (req.stream !== undefined) a[GenAi.requestStream] = req.stream;
  if (req.outputType !== undefined) a[GenAi.outputType] = req.outputType;
  return a;
}

/** `chat <model>`, a CLIENT span, under `parent` (the active context by default). */
export function startChatSpan(req: ChatRequest, parent?: Context, startTime?: TimeInput): Span {
  return tracer().startSpan(
    `chat ${req.model}`,
    {
      kind: SpanKind.CLIENT,
      attributes: chatAttributes(req),
      ...(startTime !== undefined ? { startTime } : {}),
    },
    parent ?? context.active(),
  );
}

/** What the reply said: its model, id, finish reasons and tokens. */
export function setChatResult(span: Span, r: ChatResult): void {
  if (r.responseModel) span.setAttribute(GenAi.responseModel, r.responseModel);
  if (r.responseId) span.setAttribute(GenAi.responseId, r.responseId);
  if (r.finishReasons && r.finishReasons.length > 0) {
    span.setAttribute(GenAi.finishReasons, [...r.finishReasons]);
  }
  if (r.inputTokens !== undefined) span.setAttribute(GenAi.inputTokens, r.inputTokens);
  if (r.outputTokens !== undefined) span.setAttribute(GenAi.outputTokens, r.outputTokens);
}

/** The prompt and the reply, as JSON attributes; callers check content capture first. */
export function setChatContent(
  span: Span,
  input: readonly GenAiMessage[] | undefined,
  output: readonly GenAiMessage[] | undefined,
): void {
  if (!span.isRecording()) return;
  if (input) span.setAttribute(GenAi.inputMessages, jsonAttribute(input));
  if (output) span.setAttribute(GenAi.outputMessages, jsonAttribute(output));
}

// ---------------------------------------------------------------------------------------------
// invoke_agent <name>, execute_tool <tool>

export interface AgentSpanOptions {
  /** `gen_ai.agent.name`: the agent node's id. */
  name: string;
  model?: string;
  server?: GenAiServer | undefined;
  /** `aob.agent.framework`. */
  framework?: string;
}

export function agentAttributes(o: AgentSpanOptions): Attributes {
  return {
    [GenAi.operation]: 'invoke_agent',
    [GenAi.provider]: GENAI_PROVIDER,
    [GenAi.system]: GENAI_PROVIDER,
    [GenAi.agentName]: o.name,
    ...(o.model !== undefined ? { [GenAi.requestModel]: o.model } : {}),
    ...(o.framework !== undefined ? { 'aob.agent.framework': o.framework } : {}),
    ...serverAttributes(o.server),
  };
}

/** `invoke_agent <name>` (INTERNAL: the agent runs in this process). */
export function startAgentSpan(o: AgentSpanOptions, parent?: Context, startTime?: TimeInput): Span {
  return tracer().startSpan(
    `invoke_agent ${o.name}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: agentAttributes(o),
      ...(startTime !== undefined ? { startTime } : {}),
    },
    parent ?? context.active(),
  );
}

export interface ToolSpanOptions {
  name: string;
  callId?: string | undefined;
  /** `function` for every tool an aob agent has (the conventions' other kinds are hosted ones). */
  type?: 'function' | 'extension' | 'datastore';
}

/** `execute_tool <tool>` (INTERNAL). */
export function startToolSpan(o: ToolSpanOptions, parent?: Context, startTime?: TimeInput): Span {
  return tracer().startSpan(
    `execute_tool ${o.name}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        [GenAi.operation]: 'execute_tool',
        [GenAi.toolName]: o.name,
        [GenAi.toolType]: o.type ?? 'function',
        ...(o.callId ? { [GenAi.toolCallId]: o.callId } : {}),
      },
      ...(startTime !== undefined ? { startTime } : {}),
    },
    parent ?? context.active(),
  );
}

/**
 * A tool call's answer on its span: with content capture, the arguments and the result; a result
 * that is an aob tool's failure (`{ error: { code, message } }`, what the model reads) marks the
 * span failed with that code, though the agent goes on.
 */
export function setToolResult(span: Span, capture: boolean, args: unknown, result: unknown): void {
  if (!span.isRecording()) return;
  if (capture) {
    if (args !== undefined) span.setAttribute(GenAi.toolArguments, jsonAttribute(args));
    if (result !== undefined) span.setAttribute(GenAi.toolResult, jsonAttribute(result));
  }
  const failure = toolFailure(parsedJson(result));
  if (failure) {
    span.setAttribute('error.type', failure.code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message.slice(0, 500) });
  }
}

/** `{ error: { code, message } }`, how aob's tools answer a failure. */
function toolFailure(v: unknown): { code: string; message: string } | undefined {
  const e = (v as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return e && typeof e.code === 'string'
    ? { code: e.code, message: typeof e.message === 'string' ? e.message : e.code }
    : undefined;
}

/** Marks a GenAI span failed: `error.type` is the error's code (an AobError's) or its name. */
export function failGenAiSpan(span: Span, err: unknown): void {
  const code = (err as { code?: unknown } | null)?.code;
  span.setAttribute(
    'error.type',
    typeof code === 'string' ? code : err instanceof Error && err.name ? err.name : '_OTHER',
  );
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: toErrorData(err).message.slice(0, 500),
  });
}

/** The span active in `ctx`, when it is one that records. */
export function recordingSpan(ctx: Context = context.active()): Span | undefined {
  const span = trace.getSpan(ctx);
  return span?.isRecording() ? span : undefined;
}

// ---------------------------------------------------------------------------------------------
// Patches: proposals and verdicts as span events

export type PatchEventKind = 'proposed' | 'applied' | 'rejected' | 'held';

export interface PatchEventAttributes {
  patchId: string;
  author?: string | undefined;
  /** Rejected: how many violations. */
  violations?: number;
  /** Applied: the IR the run moved to. */
  irHash?: string | undefined;
  /** Decided by a reviewer (a held patch approved or rejected). */
  reviewedBy?: string | undefined;
}

/** `aob.patch.<kind>` on `span` (the active span by default). */
export function addPatchEvent(
  kind: PatchEventKind,
  a: PatchEventAttributes,
  span: Span | undefined = trace.getActiveSpan(),
  time?: TimeInput,
): void {
  if (!span?.isRecording()) return;
  const attributes: Attributes = { 'aob.patch.id': a.patchId };
  if (a.author !== undefined) attributes['aob.patch.author'] = a.author;
  if (a.violations !== undefined) attributes['aob.patch.violations'] = a.violations;
  if (a.irHash !== undefined) attributes['aob.patch.ir_hash'] = a.irHash;
  if (a.reviewedBy !== undefined) attributes['aob.patch.reviewed_by'] = a.reviewedBy;
  span.addEvent(`aob.patch.${kind}`, attributes, time);
}

/**
 * The patch events among a decision's appended events (PatchProposed, PatchApplied,
 * PatchRejected, PatchHeld), each as an `aob.patch.*` event on the decision's span at the event's
 * time. `authorOf` names a patch's author when the events do not (a verdict on a patch proposed
 * in an earlier decision).
 */
export function addPatchSpanEvents(
  span: Span | undefined,
  events: readonly AnyRunEvent[],
  authorOf: (patchId: string) => string | undefined,
): void {
  if (!span?.isRecording()) return;
  const authors = new Map<string, string>();
  const author = (id: string) => authors.get(id) ?? authorOf(id);
  for (const e of events) {
    switch (e.type) {
      case 'PatchProposed': {
        const doc = e.data.patch as { author?: unknown } | null;
        const by = typeof doc?.author === 'string' ? doc.author : e.actor;
        if (by !== undefined) authors.set(e.data.patchId, by);
        addPatchEvent(
          'proposed',
          { patchId: e.data.patchId, author: author(e.data.patchId) },
          span,
          e.at,
        );
        break;
      }
      case 'PatchApplied':
        addPatchEvent(
          'applied',
          {
            patchId: e.data.patchId,
            author: e.data.author ?? author(e.data.patchId),
            irHash: e.data.irHash,
            reviewedBy: e.data.reviewedBy,
          },
          span,
          e.at,
        );
        break;
      case 'PatchRejected':
        addPatchEvent(
          'rejected',
          {
            patchId: e.data.patchId,
            author: author(e.data.patchId),
            violations: e.data.violations.length,
            reviewedBy: e.data.reviewedBy,
          },
          span,
          e.at,
        );
        break;
      case 'PatchHeld':
        addPatchEvent(
          'held',
          { patchId: e.data.patchId, author: author(e.data.patchId) },
          span,
          e.at,
        );
        break;
      default:
        break;
    }
  }
}
