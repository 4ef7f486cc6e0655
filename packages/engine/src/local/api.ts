import type { AnyRunEvent, ErrorData, RunStatus } from '@aob/core';
import type { LlmOptions, SearchConfig, TaskHandler } from '../executors/types.js';

export interface LocalEngineOptions {
  /** Where the durable store lives (AOB_HOME). Default `./.aob`. */
  home?: string;
  /** `file` (durable, the default) or `memory` (benchmarks and tests). */
  store?: 'file' | 'memory';
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
  /** The only directory `fs` nodes (and agents granted `fs`) may touch. */
  workspaceRoot?: string;
}

/** Partial output of a running node (an llm node's token deltas): shown live, never persisted. */
export interface NodeDelta {
  runId: string;
  nodeId: string;
  attempt: number;
  delta: string;
  at: number;
}

export interface NodeView {
  status: string;
  attempts: number;
}

/** A run as `aob run get --json` shows it. */
export interface RunView {
  runId: string;
  workflow: string;
  status: RunStatus;
  output?: unknown;
  error?: ErrorData;
  nodes: Record<string, NodeView>;
  startedAt: number;
  endedAt?: number;
  parentRunId?: string;
  replayOf?: string;
  fromNode?: string;
  /** Approval tickets still open. */
  waitingOn?: string[];
}

export interface RunListItem {
  runId: string;
  workflow: string;
  status: RunStatus;
  startedAt: number;
}

export interface ApprovalView {
  ticketId: string;
  runId: string;
  nodeId: string;
  status: 'open' | 'approved' | 'rejected';
  /** Who may decide now (after any escalation or reassignment). */
  approvers: string[];
  quorum: number;
  /** When the open ticket times out. */
  dueAt?: number;
  /** The approval node's message to its approvers. */
  message?: string;
  /** The approvals that count toward the quorum (one per identity; a reassignment clears them). */
  approvals: { by: string; reason?: string }[];
  /** Whether the ticket timed out once and went to its `escalateTo` approvers. */
  escalated: boolean;
  /** When decided: who decided (`timeout` for the default decision) and why. */
  decidedBy?: string;
  reason?: string;
}

export interface WorkflowView {
  name: string;
  version: string;
  irHash: string;
  registeredAt: number;
}

export interface StartOptions {
  runId?: string;
  actor?: string;
  /** The run's tenant (DESIGN §9); default `default`. */
  namespace?: string;
}

export type EventListener = (event: AnyRunEvent) => void;
