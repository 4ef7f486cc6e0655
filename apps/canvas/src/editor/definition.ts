// A workflow definition as the editor changes it, and the changes themselves: pure functions
// from one definition to the next (never mutating), so undo/redo is a list of values and each
// change is tested without a browser. Edges are named by their index, as the validator's paths
// (`/edges/3`) name them.

export interface EditorNode {
  id: string;
  type: string;
  with?: Record<string, unknown>;
  description?: string;
  [field: string]: unknown;
}

export interface EditorEdge {
  from: string;
  to: string;
  on?: string;
  when?: string;
}

export interface EditorDefinition {
  name: string;
  version: string;
  nodes: EditorNode[];
  edges: EditorEdge[];
  [field: string]: unknown;
}

/** The outcome ports a node can route on (the validator decides which a given type has). */
export const PORTS = ['success', 'failure', 'approved', 'rejected', 'timeout'] as const;

/** An id not yet taken: `fetch`, then `fetch2`, `fetch3`, … */
export function freshId(def: EditorDefinition, base: string): string {
  const taken = new Set(def.nodes.map((n) => n.id));
  if (!taken.has(base)) return base;
  let i = 2;
  while (taken.has(`${base}${i}`)) i++;
  return `${base}${i}`;
}

/** Adds a node; connected from `after` on its success port when given. */
export function addNode(def: EditorDefinition, node: EditorNode, after?: string): EditorDefinition {
  const edges = after ? [...def.edges, { from: after, to: node.id }] : def.edges;
  return { ...def, nodes: [...def.nodes, node], edges };
}

/** Removes a node and every edge that touches it. */
export function removeNode(def: EditorDefinition, id: string): EditorDefinition {
  return {
    ...def,
    nodes: def.nodes.filter((n) => n.id !== id),
    edges: def.edges.filter((e) => e.from !== id && e.to !== id),
  };
}

/** Replaces a node's fields; a new id is carried to the edges that name the old one. */
export function updateNode(def: EditorDefinition, id: string, next: EditorNode): EditorDefinition {
  const renamed = next.id !== id;
  return {
    ...def,
    nodes: def.nodes.map((n) => (n.id === id ? next : n)),
    edges: renamed
      ? def.edges.map((e) => ({
          ...e,
          from: e.from === id ? next.id : e.from,
          to: e.to === id ? next.id : e.to,
        }))
      : def.edges,
  };
}

/** Adds an edge unless the same one (from, to, port) is already there. */
export function connect(def: EditorDefinition, edge: EditorEdge): EditorDefinition {
  const port = edge.on ?? 'success';
  const exists = def.edges.some(
    (e) => e.from === edge.from && e.to === edge.to && (e.on ?? 'success') === port && !e.when,
  );
  if (exists) return def;
  const clean: EditorEdge = { from: edge.from, to: edge.to };
  if (edge.on && edge.on !== 'success') clean.on = edge.on;
  if (edge.when) clean.when = edge.when;
  return { ...def, edges: [...def.edges, clean] };
}

export function disconnect(def: EditorDefinition, index: number): EditorDefinition {
  return { ...def, edges: def.edges.filter((_, i) => i !== index) };
}

/** Changes an edge's port or guard; `success` and an empty guard are left out, as defaults. */
export function updateEdge(
  def: EditorDefinition,
  index: number,
  change: { on?: string; when?: string },
): EditorDefinition {
  return {
    ...def,
    edges: def.edges.map((e, i) => {
      if (i !== index) return e;
      const next: EditorEdge = { from: e.from, to: e.to };
      const on = 'on' in change ? change.on : e.on;
      const when = 'when' in change ? change.when : e.when;
      if (on && on !== 'success') next.on = on;
      if (when) next.when = when;
      return next;
    }),
  };
}

/** Reads a definition a person pasted or imported; names what makes it unusable here. */
export function parseDefinition(text: string): EditorDefinition {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('a workflow definition is a JSON object');
  }
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  if (!Array.isArray(v.nodes)) problems.push('"nodes" must be an array');
  else if (v.nodes.some((n) => typeof n !== 'object' || n === null || typeof n.id !== 'string')) {
    problems.push('every node must be an object with a string "id"');
  }
  if (v.edges !== undefined && !Array.isArray(v.edges)) problems.push('"edges" must be an array');
  if (problems.length > 0) throw new Error(problems.join('; '));
  return {
    ...v,
    name: typeof v.name === 'string' ? v.name : '',
    version: typeof v.version === 'string' ? v.version : '1',
    nodes: v.nodes as EditorNode[],
    edges: (v.edges as EditorEdge[] | undefined) ?? [],
  };
}

/** The version after the newest of `versions`: numeric ones count up, others get `.1`. */
export function nextVersion(versions: readonly string[]): string {
  if (versions.length === 0) return '1';
  const numeric = versions.filter((v) => /^\d+$/.test(v)).map(Number);
  if (numeric.length > 0) return String(Math.max(...numeric) + 1);
  const taken = new Set(versions);
  const last = versions.at(-1)!;
  let i = 1;
  while (taken.has(`${last}.${i}`)) i++;
  return `${last}.${i}`;
}
