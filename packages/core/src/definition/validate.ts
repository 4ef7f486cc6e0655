// validateDefinition: the schema check and then the graph rules, returning every problem at once.
// Codes are stable strings: SCHEMA, DUPLICATE_ID, UNKNOWN_NODE, CYCLE, NODE_LIMIT, BAD_PORT,
// BAD_EXPRESSION, NONDETERMINISTIC, UNREACHABLE_READ, RESERVED_ID, RESERVED_KEY, CREDENTIAL_FIELD,
// TOO_DEEP, NOT_FINITE, EXPRESSION_LIMIT, UNSAFE_REGEX, IMPURE_MEMO, FIDELITY_NEEDS_FULL.
import type { Problem } from '../errors.js';
import { parseExpression } from '../expr/expression.js';
import { forEachExpression } from '../expr/template.js';
import { serverLimits } from '../limits.js';
import { credentialProblems } from './credentials.js';
import { ancestors, findCycles, readGraph, type Graph } from './graph.js';
import { compileInputsSchema } from './inputs.js';
import { jsonShapeProblems } from './json-shape.js';
import { protoKeyProblems, reservedIdProblems } from './reserved.js';
import { checkSchema } from './schemas.js';

export const DEFAULT_MAX_NODES = 200;

/** Outcome ports every node has, and the extra ones of some types. */
export const PORTS = {
  all: ['success', 'failure'],
  approval: ['approved', 'rejected', 'timeout'],
  ask: ['timeout'],
} as const;

export function portsOf(type: string | undefined): readonly string[] {
  if (type === 'approval') return [...PORTS.all, ...PORTS.approval];
  if (type === 'ask') return [...PORTS.all, ...PORTS.ask];
  return PORTS.all;
}

const list = (xs: readonly string[]): string => xs.join(', ');
const problem = (code: string, path: string, message: string): Problem => ({ code, path, message });

/** Validates a workflow definition; returns every problem (an empty array when it is valid). */
export function validateDefinition(doc: unknown): Problem[] {
  // A document too deep or with non-finite numbers is refused before any recursive walk.
  const shape = [...jsonShapeProblems(doc, ''), ...protoKeyProblems(doc, '')];
  if (shape.length > 0) return shape;
  const graph = readGraph(doc);
  const credentials = graph.nodes.flatMap((n) => credentialProblems(n.raw, `/nodes/${n.index}`));
  // A credential key is also an unknown setting to the schema; CREDENTIAL_FIELD says why.
  const credentialPaths = new Set(credentials.map((p) => p.path));
  const problems = checkSchema('workflow', doc).filter((p) => !credentialPaths.has(p.path));
  problems.push(...reservedIdProblems(doc, graph));
  problems.push(...credentials);
  problems.push(...inputsSchemaProblems(doc));
  problems.push(...duplicateIds(graph));
  problems.push(...nodeLimit(doc, graph));
  problems.push(...edgeProblems(graph));
  problems.push(...cycles(graph));
  problems.push(...memoProblems(graph));
  problems.push(...fidelityProblems(doc, graph));
  problems.push(...expressionProblems(doc, graph));
  return problems;
}

/**
 * Node types whose output is a function of their settings and input alone, so a stored output
 * may stand for another execution (`memo: true`): what the optimizer's memoize pass marks.
 * Expressions have no clock and no randomness (NONDETERMINISTIC), so settings evaluate the same.
 */
export const MEMOISABLE_TYPES: readonly string[] = ['transform', 'join'];

function memoProblems(g: Graph): Problem[] {
  return g.nodes
    .filter((n) => n.raw['memo'] === true && n.type !== undefined)
    .filter((n) => !MEMOISABLE_TYPES.includes(n.type!))
    .map((n) =>
      problem(
        'IMPURE_MEMO',
        `/nodes/${n.index}/memo`,
        `node '${n.id ?? n.index}' is a ${n.type} node, whose output may differ between executions of the same input; only ${list(MEMOISABLE_TYPES)} nodes may be memo: true`,
      ),
    );
}

/** Node types whose audit (who decided, what was asked, what an agent did when) needs every event. */
export const FULL_FIDELITY_TYPES: readonly string[] = ['approval', 'ask', 'agent'];

function fidelityProblems(doc: unknown, g: Graph): Problem[] {
  if ((doc as { fidelity?: unknown } | null)?.fidelity !== 'fast') return [];
  return g.nodes
    .filter((n) => n.type !== undefined && FULL_FIDELITY_TYPES.includes(n.type))
    .map((n) =>
      problem(
        'FIDELITY_NEEDS_FULL',
        `/nodes/${n.index}/type`,
        `node '${n.id ?? n.index}' is an ${n.type} node, whose audit needs the full log; a workflow with fidelity: fast may have no approval, ask or agent nodes`,
      ),
    );
}

function inputsSchemaProblems(doc: unknown): Problem[] {
  const inputs = (doc as { inputs?: unknown } | null)?.inputs;
  if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs)) return [];
  const compiled = compileInputsSchema(inputs);
  return compiled.ok
    ? []
    : [problem('SCHEMA', '/inputs', `not a usable JSON Schema: ${compiled.message}`)];
}

function duplicateIds(g: Graph): Problem[] {
  const out: Problem[] = [];
  for (const n of g.nodes) {
    if (n.id === undefined) continue;
    const first = g.byId.get(n.id)!;
    if (first !== n.index) {
      out.push(
        problem(
          'DUPLICATE_ID',
          `/nodes/${n.index}/id`,
          `duplicate node id '${n.id}' (first defined at /nodes/${first})`,
        ),
      );
    }
  }
  return out;
}

/** The definition's own `limits.maxNodes` applies, but never past the server's ceiling. */
function nodeLimit(doc: unknown, g: Graph): Problem[] {
  const ceiling = serverLimits().maxNodes;
  const limit = (doc as { limits?: { maxNodes?: unknown } } | null)?.limits?.maxNodes;
  const own = Number.isInteger(limit) && (limit as number) >= 1 ? (limit as number) : undefined;
  if (own !== undefined && own > ceiling) {
    return [
      problem(
        'NODE_LIMIT',
        '/limits/maxNodes',
        `limits.maxNodes ${own} is above this server's ceiling of ${ceiling} nodes (AOB_LIMIT_NODES)`,
      ),
    ];
  }
  const max = Math.min(own ?? DEFAULT_MAX_NODES, ceiling);
  return g.nodes.length > max
    ? [
        problem(
          'NODE_LIMIT',
          '/nodes',
          `${g.nodes.length} nodes exceed the limit of ${max} (limits.maxNodes)`,
        ),
      ]
    : [];
}

function edgeProblems(g: Graph): Problem[] {
  const out: Problem[] = [];
  for (const e of g.edges) {
    for (const end of ['from', 'to'] as const) {
      const id = e[end];
      if (id !== undefined && !g.byId.has(id)) {
        out.push(
          problem('UNKNOWN_NODE', `/edges/${e.index}/${end}`, `edge ${end} unknown node '${id}'`),
        );
      }
    }
    if (e.on !== undefined && e.fromIndex !== undefined) {
      const type = g.nodes[e.fromIndex]!.type;
      const ports = portsOf(type);
      if (!ports.includes(e.on)) {
        out.push(
          problem(
            'BAD_PORT',
            `/edges/${e.index}/on`,
            `'${e.on}' is not an outcome of ${type ?? 'this'} node '${e.from}' (ports: ${list(ports)})`,
          ),
        );
      }
    }
  }
  return out;
}

function cycles(g: Graph): Problem[] {
  return findCycles(g.succs).map((cycle) => {
    const ids = cycle.map((i) => g.nodes[i]!.id!);
    const closing = g.edges.find(
      (e) => e.fromIndex === cycle[cycle.length - 1] && e.toIndex === cycle[0],
    );
    return problem(
      'CYCLE',
      closing ? `/edges/${closing.index}` : '/edges',
      `cycle ${[...ids, ids[0]].join(' → ')}: the static graph must be acyclic (loops happen only through patches)`,
    );
  });
}

/**
 * Every expression must parse, be deterministic, and read only nodes that exist and finish before
 * it is evaluated: a node's `with`/`input` (and its map body) run after its ancestors; an edge's
 * `when` runs when its source finishes; the workflow `output` when the run does.
 */
function expressionProblems(doc: unknown, g: Graph): Problem[] {
  const out: Problem[] = [];
  const limits = serverLimits();
  let count = 0;
  const ancestorCache = new Map<number, Set<number>>();
  const ancestorsOf = (i: number): Set<number> => {
    let a = ancestorCache.get(i);
    if (!a) ancestorCache.set(i, (a = ancestors(g.preds, i)));
    return a;
  };

  const check = (source: string, path: string, reader?: { node: number; self: boolean }): void => {
    if (++count === limits.maxExpressions + 1) {
      out.push(
        problem(
          'EXPRESSION_LIMIT',
          path,
          `more than ${limits.maxExpressions} expressions in one definition (AOB_LIMIT_EXPRESSIONS)`,
        ),
      );
    }
    if (count > limits.maxExpressions) return;
    if (source.length > limits.maxExpressionLength) {
      out.push(
        problem(
          'EXPRESSION_LIMIT',
          path,
          `the expression has ${source.length} characters; the limit is ${limits.maxExpressionLength} (AOB_LIMIT_EXPRESSION_LENGTH)`,
        ),
      );
      return;
    }
    const parsed = parseExpression(source);
    if (!parsed.ok) {
      out.push(problem('BAD_EXPRESSION', path, parsed.error.message));
      return;
    }
    const { expression } = parsed;
    for (const regex of expression.unsafeRegexes) {
      out.push(
        problem(
          'UNSAFE_REGEX',
          path,
          `${regex.text} (at character ${regex.position}) can backtrack for exponential time: avoid nested quantifiers such as (a+)+`,
        ),
      );
    }
    for (const range of expression.literalRanges) {
      if (range.size > limits.expressionItems) {
        out.push(
          problem(
            'EXPRESSION_LIMIT',
            path,
            `${range.text} has ${range.size} items; an expression may build at most ${limits.expressionItems} (AOB_LIMIT_EXPRESSION_ITEMS)`,
          ),
        );
      }
    }
    for (const name of new Set(expression.forbidden.map((f) => f.name))) {
      out.push(
        problem(
          'NONDETERMINISTIC',
          path,
          name === 'eval'
            ? '$eval is not allowed: an evaluated string hides what the expression reads and calls'
            : `$${name} is not allowed: expressions see no clock and no randomness (pass the value in as an input)`,
        ),
      );
    }
    if (reader && expression.readsNodesDynamically) {
      out.push(
        problem(
          'UNREACHABLE_READ',
          path,
          'reads nodes without naming them: write nodes.<id> so the read can be checked (which nodes have finished otherwise depends on timing)',
        ),
      );
    }
    for (const id of expression.reads) {
      const target = g.byId.get(id);
      if (target === undefined) {
        const dashed = [...g.byId.keys()].find((k) => k.startsWith(`${id}-`));
        const hint = dashed ? ` (an id with '-' needs backquotes: nodes.\`${dashed}\`)` : '';
        out.push(problem('UNKNOWN_NODE', path, `reads unknown node '${id}' (nodes.${id})${hint}`));
      } else if (
        reader &&
        !(reader.self && target === reader.node) &&
        !ancestorsOf(reader.node).has(target)
      ) {
        const who = g.nodes[reader.node]!.id ?? `#${reader.node}`;
        out.push(
          problem(
            'UNREACHABLE_READ',
            path,
            reader.self
              ? `reads nodes.${id}, which does not finish before the edge leaving '${who}' is decided (only '${who}' and its ancestors do)`
              : `node '${who}' reads nodes.${id}, which does not finish before it ('${id}' is not an ancestor of '${who}')`,
          ),
        );
      }
    }
  };

  for (const n of g.nodes) {
    const base = `/nodes/${n.index}`;
    const reader = { node: n.index, self: false };
    forEachExpression(n.raw['with'], `${base}/with`, (s, p) => check(s, p, reader));
    forEachExpression(n.raw['input'], `${base}/input`, (s, p) => check(s, p, reader));
  }
  for (const e of g.edges) {
    const reader = e.fromIndex === undefined ? undefined : { node: e.fromIndex, self: true };
    forEachExpression(e.raw['when'], `/edges/${e.index}/when`, (s, p) => check(s, p, reader));
  }
  const output = (doc as { output?: unknown } | null)?.output;
  forEachExpression(output, '/output', (s, p) => check(s, p));
  return out;
}
