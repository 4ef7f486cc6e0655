import type { Context } from '@opentelemetry/api';
import type { CasRef, NodeJob, Problem, WorkflowDefinition } from '@aob/core';

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
  /** The OpenAI-compatible endpoint of `llm` and `agent` nodes; unset means 'LLM_NOT_CONFIGURED'. */
  llm?: LlmOptions;
  /**
   * The MCP servers `agent` nodes may name in `with.mcp`, by name (AOB_MCP_SERVERS); a name not
   * here is 'MCP_NOT_CONFIGURED'.
   */
  mcp?: Readonly<Record<string, McpServerSettings>>;
  /**
   * How an `agent` node reaches the run it belongs to (get_graph, get_node_output,
   * propose_patch); unset means 'AGENT_NOT_CONFIGURED'. The local engine answers in process
   * (local/agent-host.ts); a cluster runner through the API, with the job token the job carries
   * (runner/api-agent-host.ts).
   */
  agentHost?: (job: NodeJob) => AgentHost;
}

/** A run's graph as an agent sees it. */
export interface GraphView {
  runId: string;
  /** The IR the run is on now; a patch proposed against another one is STALE_BASE. */
  irHash: string;
  /** The materialised definition: the base plus the patches applied so far. */
  definition: WorkflowDefinition;
  /** Each node's status (pending, scheduled, running, succeeded, failed, skipped, …). */
  nodes: Record<string, { status: string }>;
}

/** How the run decided a proposal. */
export interface PatchOutcome {
  patchId: string;
  /** `held`: valid, but the workflow's patch policy wants a human to approve it. */
  status: 'applied' | 'rejected' | 'held';
  /** Every violation, each `{ code, path, message }` with a stable code (ARCHITECTURE §4). */
  violations: Problem[];
  /** The IR the run moved to (applied). */
  irHash?: string;
}

/**
 * What an agent node may ask of its run (ARCHITECTURE §4): it reads, and it proposes — it never mutates.
 * Proposals go through the same validator as anyone's, authored as the agent.
 */
export interface AgentHost {
  graph(): Promise<GraphView>;
  /** A finished node's output; 'UNKNOWN_NODE' / 'NODE_NOT_FINISHED' otherwise. */
  nodeOutput(nodeId: string): Promise<unknown>;
  proposePatch(proposal: {
    ops: unknown[];
    author: string;
    rationale?: string;
    /** Default: the run's current IR. */
    baseIrHash?: string;
  }): Promise<PatchOutcome>;
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
  /**
   * AOB_LLM_PRICES: US dollars per million tokens, input and output, by model (a definition's
   * alias or a provider's model id); what the runner charges a run's budget for reported usage.
   */
  prices?: Readonly<Record<string, ModelPrice>>;
  /**
   * OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true: the spans of llm and agent nodes
   * carry the prompts, the completions, and the agents' tool arguments and results. Off by
   * default: a trace backend holds them as they are, secrets and personal data included.
   */
  captureContent?: boolean;
}

/** US dollars per million input (prompt) and output (completion) tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

/**
 * An MCP server agents reach over Streamable HTTP: from the runner's configuration and secrets
 * (AOB_MCP_SERVERS), never from a workflow definition, which names it only.
 */
export interface McpServerSettings {
  /** The server's MCP endpoint, e.g. `https://tools.example.org/mcp`. */
  url: string;
  /** Sent as `Authorization: Bearer …` (an aob server's `/mcp` takes an aob token). */
  token?: string;
  /** Further headers sent with every request (an API key header, say). */
  headers?: Readonly<Record<string, string>>;
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
  /**
   * The content store, for what an executor keeps beside its output (an agent's transcript) and
   * reads back (a suspended agent's saved state).
   */
  content?: { put(value: unknown): Promise<CasRef>; get?(ref: CasRef): Promise<unknown> };
  /**
   * Tells the runner what one model call spent, as soon as it is known (llm and agent nodes):
   * the runner sums the attempt's tokens — reported with its result even when it fails — and
   * answers true once the attempt has spent more than its run had left when the job was sent
   * (`job.budgetLeft`), when the executor stops it with BUDGET_EXCEEDED. Optional.
   */
  spend?: (call: { promptTokens: number; completionTokens: number; model?: string }) => boolean;
  /**
   * The attempt's trace context (its `aob.node` span): the parent of the spans an executor makes
   * (an http call's, a model call's). Given explicitly because the active context holds across
   * awaits only where the process keeps it so (telemetry/context-manager.ts). Optional.
   */
  trace?: Context;
}

/** Executes one attempt of a node job; returns its output or throws (an error with code/retryable). */
export type Executor = (job: NodeJob, ctx: ExecutorContext) => Promise<unknown>;
