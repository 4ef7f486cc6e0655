// compile(definition) -> IR: validate (every problem at once), apply defaults, build the node and
// edge tables, order the graph and compile every expression. The IR is immutable and identified
// by irHash, the sha256 of the RFC 8785 canonical JSON of the definition as the user wrote it.
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { refOf } from '../content/ref.js';
import { topoOrder } from '../definition/graph.js';
import { jsonShapeProblems } from '../definition/json-shape.js';
import { compileInputsSchema, inputProblems, inputShapeProblems } from '../definition/inputs.js';
import type {
  Defaults,
  MapBody,
  NodeDefinition,
  Priority,
  RetryPolicy,
  WorkflowDefinition,
} from '../definition/types.js';
import { validateDefinition } from '../definition/validate.js';
import { ValidationError, type Problem } from '../errors.js';
import { compileTemplate } from '../expr/template.js';
import { IrHash, NodeId } from '../ids.js';
import type { IR, IREdge, IRNode, IRNodeBody, JoinSpec, MapSpec } from './types.js';

/** What a definition gets when it does not say (ARCHITECTURE §1). */
export const DEFINITION_DEFAULTS = Object.freeze({
  retry: Object.freeze({
    maxAttempts: 3,
    initialMs: 200,
    multiplier: 2,
    maxMs: 10_000,
    jitter: 0.2,
  }),
  timeoutMs: 30_000,
  priority: 'medium' as Priority,
  limits: Object.freeze({ maxNodes: 200, maxAgentSpawns: 5, maxPatchesPerRun: 20 }),
  mapConcurrency: 4,
});

/** The hash a definition compiles to (without compiling it). */
export function irHashOf(definition: unknown): IrHash {
  return IrHash(refOf(definition).$cas);
}

/** Compiles a definition; throws ValidationError listing every problem when it is invalid. */
export function compile(doc: unknown): IR {
  const problems = validateDefinition(doc);
  if (problems.length > 0) throw new ValidationError(problems);
  // A private, frozen copy: the caller may go on mutating `doc`, the IR must not change.
  const definition = deepFreeze(JSON.parse(JSON.stringify(doc)) as WorkflowDefinition);
  return build(definition, irHashOf(definition));
}

const CACHE_LIMIT = 256;
const cache = new Map<string, IR>();

/** compile() memoised by irHash (least recently used out first). */
export function compileCached(doc: unknown): IR {
  // Hashing walks the document recursively: one too deep, or holding Infinity, is refused first.
  const shape = jsonShapeProblems(doc, '');
  if (shape.length > 0) throw new ValidationError(shape);
  const hash = irHashOf(doc);
  const hit = cache.get(hash);
  if (hit) {
    cache.delete(hash);
    cache.set(hash, hit);
    return hit;
  }
  const ir = compile(doc);
  cache.set(hash, ir);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return ir;
}

function build(definition: WorkflowDefinition, irHash: IrHash): IR {
  const defs = definition.nodes;
  const byId = new Map<string, number>(defs.map((n, i) => [n.id, i]));
  const edgeDefs = definition.edges ?? [];
  const out: number[][] = defs.map(() => []);
  const inn: number[][] = defs.map(() => []);
  const edges = edgeDefs.map((e, index): IREdge => {
    const from = byId.get(e.from)!;
    const to = byId.get(e.to)!;
    out[from]!.push(index);
    inn[to]!.push(index);
    const edge: IREdge = { index, from, to, on: e.on ?? 'success' };
    if (e.when !== undefined) edge.when = compileTemplate(e.when);
    return Object.freeze(edge);
  });
  const succs = out.map((list) => list.map((ei) => edges[ei]!.to));
  // validateDefinition rejected cycles, so there is an order.
  const topo = topoOrder(succs)!;
  const predecessors = inn.map((list) => new Set(list.map((ei) => edges[ei]!.from)).size);
  const nodes = defs.map((def, index) =>
    compileNode(def, index, definition.defaults, predecessors[index]!),
  );
  const ir: IR = {
    irHash,
    name: definition.name,
    version: definition.version,
    definition,
    nodes: Object.freeze(nodes),
    byId,
    edges: Object.freeze(edges),
    out: Object.freeze(out.map((l) => Object.freeze(l))),
    in: Object.freeze(inn.map((l) => Object.freeze(l))),
    entries: Object.freeze(defs.flatMap((_, i) => (inn[i]!.length === 0 ? [i] : []))),
    topo: Object.freeze(topo),
    limits: Object.freeze({ ...DEFINITION_DEFAULTS.limits, ...definition.limits }),
    checkInputs: inputsChecker(definition.inputs, irHash),
  };
  if (definition.output !== undefined) ir.output = compileTemplate(definition.output);
  return Object.freeze(ir);
}

function compileNode(
  def: NodeDefinition,
  index: number,
  defaults: Defaults | undefined,
  predecessors: number,
): IRNode {
  const body = compileBody(def, defaults);
  const node: IRNode = { ...body, id: NodeId(def.id), index, definition: def };
  const config = (def.with ?? {}) as Record<string, unknown>;
  if (def.type === 'join') node.join = joinSpec(config, predecessors);
  if (def.type === 'map') {
    const { body: bodyDef, ...rest } = config;
    // The map's own `with` leaves the body out: the body runs per item, as `map.body`.
    node.with = compileTemplate(rest);
    node.map = mapSpec(config, bodyDef as MapBody, body.priority, defaults);
  }
  return Object.freeze(node);
}

/**
 * A node's executable part with defaults applied: its own setting, else the workflow's
 * `defaults`, else DEFINITION_DEFAULTS. Retry policies merge field by field.
 */
function compileBody(def: Omit<NodeDefinition, 'id'>, defaults: Defaults | undefined): IRNodeBody {
  const retry: RetryPolicy = { ...DEFINITION_DEFAULTS.retry, ...defaults?.retry, ...def.retry };
  const body: IRNodeBody = {
    type: def.type,
    with: compileTemplate(def.with ?? {}),
    retry: Object.freeze(retry),
    timeoutMs: def.timeoutMs ?? defaults?.timeoutMs ?? DEFINITION_DEFAULTS.timeoutMs,
    priority: def.priority ?? defaults?.priority ?? DEFINITION_DEFAULTS.priority,
  };
  if (def.input !== undefined) body.input = compileTemplate(def.input);
  return body;
}

/** `n` is how many predecessors must be taken: all of them (distinct nodes), one, or the given n. */
function joinSpec(config: Record<string, unknown>, predecessors: number): JoinSpec {
  const mode = (config['mode'] as JoinSpec['mode'] | undefined) ?? 'all';
  const n = mode === 'n' ? (config['n'] as number) : mode === 'any' ? 1 : predecessors;
  return Object.freeze({ mode, n });
}

/** The body inherits the map node's priority when it names none; retry and timeout use `defaults`. */
function mapSpec(
  config: Record<string, unknown>,
  bodyDef: MapBody,
  priority: Priority,
  defaults: Defaults | undefined,
): MapSpec {
  const body = compileBody({ ...bodyDef, priority: bodyDef.priority ?? priority }, defaults);
  return Object.freeze({
    items: compileTemplate(config['items']),
    concurrency:
      (config['concurrency'] as number | undefined) ?? DEFINITION_DEFAULTS.mapConcurrency,
    body: Object.freeze(body),
  });
}

const inputValidators = new Map<string, ValidateFunction>();

/** Run-input checking against `definition.inputs`, compiled on first use and cached by irHash. */
function inputsChecker(
  schema: Record<string, unknown> | undefined,
  irHash: IrHash,
): IR['checkInputs'] {
  if (schema === undefined) return inputShapeProblems;
  return (inputs: unknown): Problem[] => {
    const shape = inputShapeProblems(inputs);
    if (shape.length > 0) return shape;
    let validate = inputValidators.get(irHash);
    if (!validate) {
      const compiled = compileInputsSchema(schema);
      // validateDefinition compiled the same schema, so this does not fail.
      if (!compiled.ok) return [{ code: 'INPUT', path: '', message: compiled.message }];
      validate = compiled.validate;
      inputValidators.set(irHash, validate);
      if (inputValidators.size > CACHE_LIMIT)
        inputValidators.delete(inputValidators.keys().next().value as string);
    }
    return inputProblems(validate, inputs);
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
