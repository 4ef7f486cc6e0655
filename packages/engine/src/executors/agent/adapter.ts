import { AobError } from '@aob/core';
import type { AgentQuestion } from '@aob/core';
import type { LlmOptions } from '../types.js';
import type { AgentConfig } from './config.js';
import type { AgentTool } from './tools.js';

export interface AgentUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** One step of an agent's run, in the order it happened. */
export type TranscriptEntry =
  | { type: 'message'; role: 'system' | 'user' | 'assistant'; content: string }
  | {
      type: 'tool_call';
      /** The model's call id. */
      id: string;
      name: string;
      /** The arguments as the model sent them, parsed when they were JSON. */
      args: unknown;
      /** What the tool answered (parsed when JSON); absent when the run ended before. */
      result?: unknown;
    };

export interface AgentRunInput {
  nodeId: string;
  config: AgentConfig;
  tools: readonly AgentTool[];
  llm: LlmOptions;
  signal: AbortSignal;
  /** Text of the final answer as it arrives; best effort (an adapter may send it whole). */
  onDelta?: (delta: string) => void;
  /**
   * Going on after the agent asked (config.ask): `state` is what the adapter returned as
   * `asked.state` when it stopped, `answer` the ask_user call's result. The adapter restores the
   * framework's own saved run from it and makes none of the model calls made before.
   */
  resume?: { state: string; answer: unknown };
  /**
   * Called as soon as each model call's reply is complete, with the tokens it reported (0 when
   * the endpoint reported none) and whether it is a final answer (it asks for no tool). The
   * executor counts it toward the run's budget and, once the attempt has spent more than its run
   * had left, aborts `signal`: the adapter then stops before anything else of that turn — no
   * tool runs, no further model call.
   */
  onModelCall?: (call: ModelCall) => void;
}

/** What one model call of an agent spent (`AgentRunInput.onModelCall`). */
export interface ModelCall {
  promptTokens: number;
  completionTokens: number;
  /** The reply asks for no tool: it is the agent's final answer. */
  final: boolean;
}

/** Stops the adapter's run when `signal` was aborted (by `onModelCall`'s caller, say). */
export function stopIfAborted(signal: AbortSignal): void {
  if (signal.aborted) {
    throw signal.reason instanceof Error ? signal.reason : new Error('the agent was stopped');
  }
}

export interface AgentRunResult {
  /** The final answer's text (with a schema: the JSON text). */
  finalOutput: string;
  /** With a schema: set by the executor once the final output is valid against it. */
  parsed?: unknown;
  transcript: TranscriptEntry[];
  /**
   * Summed over the model calls of this run of the adapter (since it resumed, when it did); null
   * when the endpoint reported none.
   */
  usage: AgentUsage | null;
  /** Model calls made by the attempt, those before any question it resumed from included. */
  turns: number;
  /**
   * Set when the agent called ask_user: the run stopped (finalOutput is empty, the transcript is
   * the conversation so far) and `state` — the framework's serialised run, opaque to the
   * executor — is what to go on from once the question is answered (`AgentRunInput.resume`).
   */
  asked?: { question: AgentQuestion; state: string };
}

/** One agent framework behind the engine's agent node. */
export interface AgentAdapter {
  /**
   * Runs the agent to its final answer, or until it asks a person (`asked`). Throws AobError 'AGENT_MAX_TURNS' when it needs more than
   * `config.maxTurns` model calls; client errors are thrown as they are (the executor classifies
   * them). Never retries.
   */
  run(input: AgentRunInput): Promise<AgentRunResult>;
}

/** A tool's answer as the text a model reads. */
export function toolText(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** JSON text back to a value for the transcript; other text stays as it is. */
export function fromJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The response format asking for JSON valid against `with.schema`, in chat-completions shape. */
export function responseFormat(config: AgentConfig):
  | {
      type: 'json_schema';
      json_schema: { name: string; schema: Record<string, unknown>; strict: false };
    }
  | undefined {
  return config.schema
    ? {
        type: 'json_schema',
        json_schema: { name: 'output', schema: config.schema.schema, strict: false },
      }
    : undefined;
}

/** Collects a run's steps in order and matches tool results to their calls by id. */
export class TranscriptBuilder {
  readonly entries: TranscriptEntry[] = [];
  private readonly calls = new Map<string, Extract<TranscriptEntry, { type: 'tool_call' }>>();

  /** Starts with the system instructions (when any) and the task. */
  constructor(config: AgentConfig) {
    if (config.instructions !== undefined) this.message('system', config.instructions);
    this.message('user', config.prompt);
  }

  message(role: 'system' | 'user' | 'assistant', content: string): void {
    if (content !== '') this.entries.push({ type: 'message', role, content });
  }

  call(id: string, name: string, args: unknown): void {
    const entry = {
      type: 'tool_call' as const,
      id,
      name,
      args: typeof args === 'string' ? fromJsonText(args) : args,
    };
    this.calls.set(id, entry);
    this.entries.push(entry);
  }

  result(id: string, output: unknown): void {
    const call = this.calls.get(id);
    if (call) call.result = typeof output === 'string' ? fromJsonText(output) : output;
  }
}

/** Sums token counts; null until some call reports usage. */
export class UsageMeter {
  private total: AgentUsage | null = null;

  add(prompt: number | undefined, completion: number | undefined, total?: number): void {
    if (prompt === undefined && completion === undefined) return;
    const p = prompt ?? 0;
    const c = completion ?? 0;
    const t = this.total ?? { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
    this.total = {
      promptTokens: t.promptTokens + p,
      completionTokens: t.completionTokens + c,
      totalTokens: t.totalTokens + (total ?? p + c),
    };
  }

  get usage(): AgentUsage | null {
    return this.total;
  }
}

/** The agent needed more model calls than `with.maxTurns` allows (the same again would too). */
export function maxTurnsError(nodeId: string, maxTurns: number): AobError {
  return new AobError(
    'AGENT_MAX_TURNS',
    `agent node ${nodeId}: no final answer within ${maxTurns} turn(s) (with.maxTurns)`,
    { retryable: false, details: { maxTurns } },
  );
}
