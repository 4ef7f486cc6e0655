import type { IrHash, NodeId } from '../ids.js';
import type { Problem } from '../errors.js';
import type {
  Limits,
  NodeDefinition,
  NodeType,
  Priority,
  RetryPolicy,
  WorkflowDefinition,
} from '../definition/types.js';

/** What an expression sees: run inputs, finished nodes' outputs, and item/index inside a map. */
export interface ExprContext {
  inputs: unknown;
  nodes: Record<string, { output: unknown }>;
  item?: unknown;
  index?: number;
}

/** A compiled `{% JSONata %}` expression, or a tree of them (a `with` block), evaluated synchronously. */
export interface Template {
  /** The source as written (a string, or an object/array containing expression strings). */
  readonly source: unknown;
  /** True when no expression is inside: evaluate() always returns `source`. */
  readonly isStatic: boolean;
  /** The node ids the expressions read from (`nodes.<id>`), for dependency checks. */
  readonly reads: readonly string[];
  evaluate(ctx: ExprContext): unknown;
}

export interface JoinSpec {
  mode: 'all' | 'any' | 'n';
  n: number;
}

export interface MapSpec {
  items: Template;
  concurrency: number;
  body: IRNodeBody;
}

/** A node's executable part (shared by graph nodes and map bodies). */
export interface IRNodeBody {
  type: NodeType;
  /** The `with` block, compiled. */
  with: Template;
  /** The `input` expression, when given. */
  input?: Template;
  retry: RetryPolicy;
  timeoutMs: number;
  priority: Priority;
}

export interface IRNode extends IRNodeBody {
  id: NodeId;
  index: number;
  join?: JoinSpec;
  map?: MapSpec;
  definition: NodeDefinition;
}

export interface IREdge {
  index: number;
  from: number;
  to: number;
  /** Outcome port; `success` when not given. */
  on: string;
  when?: Template;
}

/** The compiled, immutable form of a workflow definition. */
export interface IR {
  /** sha256 of the RFC 8785 canonical JSON of the normalised definition (also its CAS key). */
  irHash: IrHash;
  name: string;
  version: string;
  definition: WorkflowDefinition;
  nodes: readonly IRNode[];
  byId: ReadonlyMap<string, number>;
  edges: readonly IREdge[];
  /** Edge indices leaving each node, by node index. */
  out: readonly (readonly number[])[];
  /** Edge indices entering each node, by node index. */
  in: readonly (readonly number[])[];
  /** Node indices with no incoming edge. */
  entries: readonly number[];
  /** Node indices in a topological order. */
  topo: readonly number[];
  output?: Template;
  limits: Required<Limits>;
  /** Validates run inputs against `definition.inputs`; returns every problem. */
  checkInputs(inputs: unknown): Problem[];
}
