import type { NodeJob } from '@aob/core';

export interface NodeLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What a task handler receives as its second argument. */
export interface HandlerContext {
  runId: string;
  nodeId: string;
  attempt: number;
  iteration?: number;
  idempotencyKey: string;
  signal: AbortSignal;
  log: NodeLogger;
}

export type TaskHandler = (input: unknown, ctx: HandlerContext) => unknown;

export interface ExecutorOptions {
  /** Task handlers by name (the named exports of the user's handlers module). */
  handlers: Readonly<Record<string, TaskHandler>>;
  /** Lets `http` reach private, loopback, link-local and metadata addresses (tests need it). */
  allowPrivateNetwork: boolean;
  /** The directory `fs` nodes are confined to; unset means `fs` nodes fail with 'FS_NO_WORKSPACE'. */
  workspaceRoot?: string;
  /** The web search backend of `search` nodes; unset means 'SEARCH_NOT_CONFIGURED'. */
  search?: SearchConfig;
  /** The OpenAI-compatible endpoint of `llm` nodes; unset means 'LLM_NOT_CONFIGURED'. */
  llm?: LlmOptions;
}

/**
 * Where `llm` nodes send their requests: from the runner's configuration and secrets, never from
 * a workflow definition.
 */
export interface LlmOptions {
  /** e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …`; omitted for endpoints that need none. */
  apiKey?: string;
  /** Model aliases: a definition's model name → the provider's model id; others pass unchanged. */
  models?: Readonly<Record<string, string>>;
}

export interface SearchConfig {
  provider: 'searxng';
  /** The SearXNG instance, e.g. `https://searx.example.org` (its JSON format must be enabled). */
  baseUrl: string;
}

export interface ExecutorContext extends HandlerContext {
  options: ExecutorOptions;
  /**
   * Receives partial output while the node runs (an llm node's token deltas, in order). For live
   * display only: nothing passed here is persisted. Optional; a throwing callback is ignored.
   */
  stream?: (delta: string) => void;
}

/** Executes one attempt of a node job; returns its output or throws (an error with code/retryable). */
export type Executor = (job: NodeJob, ctx: ExecutorContext) => Promise<unknown>;
