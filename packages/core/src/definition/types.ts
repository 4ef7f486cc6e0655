// The workflow definition as users write it. schemas/workflow.schema.json is the source of truth;
// a test checks that these types and the schema agree.
import type { Budget } from '../run/budget.js';

export const NodeType = {
  task: 'task',
  http: 'http',
  transform: 'transform',
  llm: 'llm',
  agent: 'agent',
  map: 'map',
  join: 'join',
  subworkflow: 'subworkflow',
  approval: 'approval',
  ask: 'ask',
  timer: 'timer',
  code: 'code',
  fs: 'fs',
  search: 'search',
} as const;
export type NodeType = (typeof NodeType)[keyof typeof NodeType];

/** The node types a map body may have: those a runner executes as one job. */
export const MapBodyType = {
  task: 'task',
  http: 'http',
  transform: 'transform',
  llm: 'llm',
  agent: 'agent',
  code: 'code',
  fs: 'fs',
  search: 'search',
} as const;
export type MapBodyType = (typeof MapBodyType)[keyof typeof MapBodyType];

export const Priority = { high: 'high', medium: 'medium', low: 'low' } as const;
export type Priority = (typeof Priority)[keyof typeof Priority];

export interface RetryPolicy {
  maxAttempts: number;
  initialMs: number;
  multiplier: number;
  maxMs: number;
  /** Fraction of each delay that is randomised (0 = none, 1 = full jitter). */
  jitter?: number;
}

export interface Limits {
  maxNodes?: number;
  maxAgentSpawns?: number;
  maxPatchesPerRun?: number;
}

/** Which valid patches wait for a person (ARCHITECTURE §4); see schemas/workflow.schema.json. */
export interface WorkflowPatchPolicy {
  /** Default 'forbidden-types'. */
  review?: 'never' | 'forbidden-types' | 'always';
  reviewers?: string[];
  /** Default every type but `code`. */
  agentTypes?: NodeType[];
}

export interface Defaults {
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  priority?: Priority;
}

export interface NodeDefinition {
  id: string;
  type: NodeType;
  with?: Record<string, unknown>;
  input?: string;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  priority?: Priority;
  description?: string;
  /**
   * Marked pure for result memoisation (the optimizer's memoize pass sets it): a stored output for
   * the same type, settings and input is reused. Only transform and join nodes (IMPURE_MEMO).
   */
  memo?: boolean;
}

/** A map body: a node without an id, run once per item. */
export type MapBody = Omit<NodeDefinition, 'id' | 'type' | 'memo'> & { type: MapBodyType };

export interface EdgeDefinition {
  from: string;
  to: string;
  /** Outcome port: success (default), failure; approval's approved | rejected | timeout; ask's timeout. */
  on?: string;
  /** A JSONata guard in {% %}. */
  when?: string;
}

export interface WorkflowDefinition {
  /** The schema the document follows (for editors); ignored by the engine. */
  $schema?: string;
  name: string;
  version: string;
  description?: string;
  inputs?: Record<string, unknown>;
  defaults?: Defaults;
  limits?: Limits;
  patchPolicy?: WorkflowPatchPolicy;
  /** Limits every run of the workflow is held to (run/budget.ts). */
  budget?: Budget;
  /** `fast`: the log keeps only what recovery needs (no NodeStarted); default `full`. */
  fidelity?: 'full' | 'fast';
  nodes: NodeDefinition[];
  edges?: EdgeDefinition[];
  output?: unknown;
}

// The `with` block of each node type that has one, as the schema defines it.
export type {
  TaskConfig,
  HttpConfig,
  TransformConfig,
  MapConfig,
  JoinConfig,
  SubworkflowConfig,
  ApprovalConfig,
  AskConfig,
  TimerConfig,
} from '../generated/workflow.js';
