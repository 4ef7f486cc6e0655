import type { AnyRunEvent } from '@aob/core';
import type { Durability } from '@aob/store';
import type { AutoOptimizer } from '../app/auto-optimize.js';
import type { ResultMemo } from '../runner/memo.js';
import type {
  LlmOptions,
  McpServerSettings,
  SearchConfig,
  TaskHandler,
} from '../executors/types.js';

export interface LocalEngineOptions {
  /** Where the durable store lives (AOB_HOME). Default `./.aob`. */
  home?: string;
  /** `file` (durable, the default) or `memory` (benchmarks and tests). */
  store?: 'file' | 'memory';
  /**
   * How far the file store's commits survive (AOB_DURABILITY): `normal` (the default) a crash of
   * any process, `full` power loss too (every commit and content file fsynced). See Durability.
   */
  durability?: Durability;
  /** Task handlers, or a module to load them from. */
  handlers?: Readonly<Record<string, TaskHandler>>;
  handlersFile?: string;
  /** Lets `http` nodes reach private and loopback addresses. */
  allowPrivateNetwork?: boolean;
  /** Most node jobs executed at once. Default 64. */
  concurrency?: number;
  /** The OpenAI-compatible endpoint of `llm` and `agent` nodes (from configuration and secrets). */
  llm?: LlmOptions;
  /** The web search backend of `search` nodes (and agents granted `search`). */
  search?: SearchConfig;
  /** The MCP servers `agent` nodes may name in `with.mcp` (AOB_MCP_SERVERS). */
  mcp?: Readonly<Record<string, McpServerSettings>>;
  /** The only directory `fs` nodes (and agents granted `fs`) may touch. */
  workspaceRoot?: string;
  /** The optimizer's passes, run on registration or run start (AOB_OPTIMIZE_ON). */
  optimizer?: AutoOptimizer;
  /**
   * Pure nodes (`transform`, `join`) run in the orchestrator, in the decision that schedules them
   * (the default), or, with false, as jobs on the runner like every other node: what a benchmark
   * compares, and the only way a pure node's `memo: true` is consulted locally.
   */
  inlinePureNodes?: boolean;
  /**
   * Where the outputs of nodes marked `memo: true` are kept for reuse. Default: in memory with the
   * memory store, else a FileResultMemo in AOB_HOME/memo.
   */
  memo?: ResultMemo;
}

export type EventListener = (event: AnyRunEvent) => void;
