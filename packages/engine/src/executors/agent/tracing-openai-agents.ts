// The OpenAI Agents SDK's own tracing, bridged into OpenTelemetry (ARCHITECTURE §10): a
// TracingProcessor — the only one the SDK has in this process, so nothing goes to OpenAI's trace
// ingest — that turns the SDK's spans into OTel spans per the GenAI semantic conventions, under
// the span that was active when the agent's run began (its node attempt's `aob.node` span):
//
//   agent       → invoke_agent <name>   (the top-level agent is named by its node id)
//   generation  → chat <model>          (CLIENT; model, tokens, response id, finish reasons)
//   response    → chat <model>          (the Responses API's model calls, should one be used)
//   function    → execute_tool <tool>   (call id set by the tool as it runs: see runTool)
//   handoff     → handoff <agent>
//
// Other SDK spans (task, turn, guardrail, custom) make none: their children go under their
// parent. The model call is traced here, not in the adapter's own model wrapper (`metered`): the
// SDK's spans know the call's place in the run (which agent, which turn) and its messages, and
// one place per framework means one `chat` span per call.
import { SpanKind, SpanStatusCode, context, createContextKey, trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import type { Span as SdkSpan, SpanData, TracingProcessor } from '@openai/agents';
import { tracer } from '../../telemetry/trace.js';
import {
  GenAi,
  chatCompletionMessages,
  outputMessage,
  setChatContent,
  setChatResult,
  setToolResult,
  startAgentSpan,
  startChatSpan,
  startToolSpan,
  toolCallPart,
} from '../../telemetry/genai.js';
import type { GenAiMessage, GenAiServer } from '../../telemetry/genai.js';

/** What the bridge knows of one agent run of the adapter (carried in the OTel context). */
export interface AgentTraceScope {
  /** The agent node's id: the name of the top-level agent's span. */
  agentName: string;
  /** The SDK Agent's own name, shown as `agentName`. */
  sdkAgentName: string;
  /** The provider's model id the agent calls. */
  model: string;
  server?: GenAiServer | undefined;
  /** Content capture: messages, tool arguments and results on the spans. */
  capture: boolean;
  /**
   * The model the provider named in the latest reply (its first chunk), noted by the adapter's
   * model wrapper: the SDK records the requested one.
   */
  responseModel?: string | undefined;
}

const SCOPE = createContextKey('aob.agent.openai-agents.scope');

/** `ctx` carrying the scope of an agent run: the SDK spans started in it are bridged. */
export function withAgentScope(ctx: Context, scope: AgentTraceScope): Context {
  return ctx.setValue(SCOPE, scope);
}

interface Open {
  /** Undefined for an SDK span that makes none (its children go under its parent). */
  span: Span | undefined;
  /** The context its children start in. */
  ctx: Context;
  scope: AgentTraceScope;
}

/** The SDK's generation output for Chat Completions: the completion it assembled. */
interface RecordedCompletion {
  id?: string;
  model?: string;
  choices?: {
    finish_reason?: string | null;
    message?: {
      content?: string | null;
      refusal?: string | null;
      tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[];
    };
  }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

/** The id the SDK gives a streamed completion before the provider's first chunk names one. */
const SDK_FAKE_ID = 'FAKE_ID';

export class OtelTracingProcessor implements TracingProcessor {
  private readonly open = new Map<string, Open>();

  async onTraceStart(): Promise<void> {}
  async onTraceEnd(): Promise<void> {}

  // Called synchronously by span.start(): the active context is the run's.
  async onSpanStart(s: SdkSpan<SpanData>): Promise<void> {
    this.begin(s);
  }

  async onSpanEnd(s: SdkSpan<SpanData>): Promise<void> {
    this.finish(s);
  }

  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}

  /**
   * Runs a tool's execution inside its `execute_tool` span (the SDK's function span `sdkSpan`,
   * current while the tool runs), so the spans it makes (an http tool's request) nest under it;
   * and sets the call id, which the SDK's span does not record.
   */
  runTool<T>(
    sdkSpan: SdkSpan<SpanData> | null | undefined,
    callId: string | undefined,
    fn: () => Promise<T>,
  ): Promise<T> {
    const entry = sdkSpan ? this.open.get(sdkSpan.spanId) : undefined;
    if (!entry?.span) return fn();
    if (callId) entry.span.setAttribute(GenAi.toolCallId, callId);
    return context.with(entry.ctx, fn);
  }

  /** Ends whatever the run of `scope` left open (a run cut short), as it stands. */
  close(scope: AgentTraceScope): void {
    for (const [id, entry] of this.open) {
      if (entry.scope !== scope) continue;
      this.open.delete(id);
      entry.span?.end();
    }
  }

  private begin(s: SdkSpan<SpanData>): void {
    const parent = s.parentId ? this.open.get(s.parentId) : undefined;
    const ctx = parent?.ctx ?? context.active();
    const scope = parent?.scope ?? (ctx.getValue(SCOPE) as AgentTraceScope | undefined);
    // A run the adapter did not start with a scope is none of aob's.
    if (!scope) return;
    const data = s.spanData as { type: string } & Record<string, unknown>;
    let span: Span | undefined;
    switch (data.type) {
      case 'agent': {
        const name = typeof data.name === 'string' ? data.name : scope.sdkAgentName;
        span = startAgentSpan(
          {
            name: name === scope.sdkAgentName ? scope.agentName : name,
            model: scope.model,
            server: scope.server,
            framework: 'openai-agents',
          },
          ctx,
        );
        break;
      }
      case 'generation':
      case 'response': {
        const config = (data.model_config ?? {}) as { temperature?: unknown };
        span = startChatSpan(
          {
            model: typeof data.model === 'string' ? data.model : scope.model,
            server: scope.server,
            temperature: typeof config.temperature === 'number' ? config.temperature : undefined,
            stream: true,
          },
          ctx,
        );
        break;
      }
      case 'function':
        span = startToolSpan({ name: String(data.name) }, ctx);
        break;
      case 'handoff': {
        const to = typeof data.to_agent === 'string' ? data.to_agent : undefined;
        span = tracer().startSpan(
          to ? `handoff ${to}` : 'handoff',
          {
            kind: SpanKind.INTERNAL,
            attributes: {
              ...(typeof data.from_agent === 'string'
                ? { 'aob.agent.handoff.from': data.from_agent }
                : {}),
              ...(to ? { 'aob.agent.handoff.to': to } : {}),
            },
          },
          ctx,
        );
        break;
      }
      default:
        break;
    }
    this.open.set(s.spanId, { span, ctx: span ? trace.setSpan(ctx, span) : ctx, scope });
  }

  private finish(s: SdkSpan<SpanData>): void {
    const entry = this.open.get(s.spanId);
    if (!entry) return;
    this.open.delete(s.spanId);
    const { span, scope } = entry;
    if (!span) return;
    const data = s.spanData as { type: string } & Record<string, unknown>;
    if (data.type === 'generation') {
      this.endGeneration(span, scope, data);
    } else if (data.type === 'response') {
      const r = (data._response ?? {}) as {
        model?: string;
        usage?: { input_tokens?: number; output_tokens?: number };
      };
      setChatResult(span, {
        responseModel: r.model,
        responseId: typeof data.response_id === 'string' ? data.response_id : undefined,
        inputTokens: r.usage?.input_tokens,
        outputTokens: r.usage?.output_tokens,
      });
    } else if (data.type === 'function') {
      setToolResult(span, scope.capture, data.input, data.output);
    }
    const error = s.error;
    if (error) {
      const detail = (error.data as { error?: unknown } | undefined)?.error;
      span.setAttribute('error.type', '_OTHER');
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: (typeof detail === 'string' ? `${error.message}: ${detail}` : error.message).slice(
          0,
          500,
        ),
      });
    }
    span.end();
  }

  private endGeneration(span: Span, scope: AgentTraceScope, data: Record<string, unknown>): void {
    const output = Array.isArray(data.output) ? data.output : [];
    const completion = output[0] as RecordedCompletion | undefined;
    const choice = completion?.choices?.[0];
    const usage = data.usage as { input_tokens?: number; output_tokens?: number } | undefined;
    setChatResult(span, {
      responseModel: scope.responseModel ?? completion?.model,
      responseId: completion?.id !== SDK_FAKE_ID ? completion?.id : undefined,
      ...(choice?.finish_reason ? { finishReasons: [choice.finish_reason] } : {}),
      inputTokens: completion?.usage?.prompt_tokens ?? usage?.input_tokens,
      outputTokens: completion?.usage?.completion_tokens ?? usage?.output_tokens,
    });
    scope.responseModel = undefined;
    if (!scope.capture) return;
    const input = Array.isArray(data.input) ? chatCompletionMessages(data.input) : undefined;
    let out: GenAiMessage[] | undefined;
    if (choice?.message) {
      const m = choice.message;
      const calls = (m.tool_calls ?? []).map((c) =>
        toolCallPart(c.id, c.function?.name, parsed(c.function?.arguments)),
      );
      out = [
        outputMessage(
          m.content ?? m.refusal ?? undefined,
          calls,
          choice.finish_reason ?? undefined,
        ),
      ];
    }
    setChatContent(span, input, out);
  }
}

function parsed(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
