// What the draft editor works out without a browser: the patch a person's edit sends, which
// nodes a change by someone else touched (for their highlight and author badge), a change said
// in a few words for the activity list, who made it, and where a selection goes when the graph
// changes under it.
import fastJsonPatch from 'fast-json-patch';
import type { EditorDefinition, EditorEdge } from '../editor/definition.js';
import type { Selection } from '../editor/EditorWorkspace.js';
import type { Author, DraftBase, DraftView, JsonPatchOp, When } from './types.js';

/** A definition as the editor needs it: a new draft's may have no nodes or edges yet. */
export function editable(def: EditorDefinition): EditorDefinition {
  return Array.isArray(def.nodes) && Array.isArray(def.edges)
    ? def
    : { ...def, nodes: def.nodes ?? [], edges: def.edges ?? [] };
}

/** The JSON Patch from the draft as the server has it to the person's edit of it. */
export function draftOps(before: EditorDefinition, after: EditorDefinition): JsonPatchOp[] {
  return fastJsonPatch.compare(before, after) as JsonPatchOp[];
}

/** A draft's base as `name@version`. */
export function baseRef(base: DraftBase | undefined): string | undefined {
  if (base === undefined) return undefined;
  return typeof base === 'string' ? base : `${base.name}@${base.version}`;
}

/** What a draft is called: its title, else its workflow's name, else its id. */
export function draftName(d: { draftId: string; title?: string; definition?: { name?: unknown } }) {
  if (d.title) return d.title;
  const name = d.definition?.name;
  return typeof name === 'string' && name !== '' ? `${name} (draft)` : d.draftId;
}

/** "claude (agent)" for a principal with a role, its subject otherwise. */
export function authorLabel(by: Author | undefined): string {
  if (by === undefined) return 'someone';
  if (typeof by === 'string') return by;
  return by.role ? `${by.subject} (${by.role})` : by.subject;
}

/** The subject of an author (what is compared with the signed-in person's). */
export function authorSubject(by: Author | undefined): string | undefined {
  return typeof by === 'object' ? by.subject : by?.replace(/ \([^)]*\)$/, '');
}

export function whenMs(at: When | undefined): number | undefined {
  if (at === undefined) return undefined;
  const ms = typeof at === 'number' ? at : Date.parse(at);
  return Number.isFinite(ms) ? ms : undefined;
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", else the date. */
export function ago(at: When | undefined, now: number): string {
  const ms = whenMs(at);
  if (ms === undefined) return '—';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(ms).toLocaleString();
}

export interface Touched {
  added: string[];
  changed: string[];
  removed: string[];
  connected: EditorEdge[];
  disconnected: EditorEdge[];
  /** The workflow's own fields (name, version, inputs, output…) changed. */
  workflow: boolean;
}

const edgeKey = (e: EditorEdge) => JSON.stringify([e.from, e.to, e.on ?? 'success', e.when ?? '']);

/** What changed from one definition to the next, by node id and by edge. */
export function touched(before: EditorDefinition, after: EditorDefinition): Touched {
  const old = new Map(before.nodes.map((n) => [n.id, JSON.stringify(n)]));
  const now = new Map(after.nodes.map((n) => [n.id, JSON.stringify(n)]));
  const oldEdges = new Set(before.edges.map(edgeKey));
  const newEdges = new Set(after.edges.map(edgeKey));
  const rest = (d: EditorDefinition) => {
    const { nodes: _n, edges: _e, ...fields } = d;
    return JSON.stringify(fields);
  };
  return {
    added: [...now.keys()].filter((id) => !old.has(id)),
    changed: [...now].filter(([id, n]) => old.has(id) && old.get(id) !== n).map(([id]) => id),
    removed: [...old.keys()].filter((id) => !now.has(id)),
    connected: after.edges.filter((e) => !oldEdges.has(edgeKey(e))),
    disconnected: before.edges.filter((e) => !newEdges.has(edgeKey(e))),
    workflow: rest(before) !== rest(after),
  };
}

const arrow = (e: EditorEdge) =>
  `${e.from} → ${e.to}${e.on && e.on !== 'success' ? ` [${e.on}]` : ''}`;

/** A change in a few words: "added fetch · connected fetch → sum". */
export function describeChange(before: EditorDefinition, after: EditorDefinition): string {
  const t = touched(before, after);
  const parts = [
    t.added.length ? `added ${t.added.join(', ')}` : '',
    t.changed.length ? `changed ${t.changed.join(', ')}` : '',
    t.removed.length ? `removed ${t.removed.join(', ')}` : '',
    t.connected.length ? `connected ${t.connected.map(arrow).join(', ')}` : '',
    t.disconnected.length ? `disconnected ${t.disconnected.map(arrow).join(', ')}` : '',
    t.workflow ? 'changed the workflow' : '',
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : 'no change';
}

/**
 * A recorded change said from its operations alone (the activity's earlier entries): what an
 * added node or edge is, else the paths changed.
 */
export function describeOps(ops: readonly JsonPatchOp[]): string {
  const parts = ops.map((op) => {
    const v = op.value as { id?: unknown; from?: unknown; to?: unknown } | undefined;
    if (op.op === 'add' && /^\/nodes\/(\d+|-)$/.test(op.path) && typeof v?.id === 'string') {
      return `added ${v.id}`;
    }
    if (op.op === 'add' && /^\/edges\/(\d+|-)$/.test(op.path) && typeof v?.from === 'string') {
      return `connected ${String(v.from)} → ${String(v.to)}`;
    }
    if (op.op === 'remove' && /^\/nodes\/\d+$/.test(op.path)) return 'removed a node';
    if (op.op === 'remove' && /^\/edges\/\d+$/.test(op.path)) return 'removed an edge';
    return `${op.op === 'remove' ? 'removed' : 'set'} ${op.path}`;
  });
  const unique = [...new Set(parts)];
  return unique.length === 0
    ? 'no change'
    : unique.length > 3
      ? `${unique.slice(0, 3).join(' · ')} · ${unique.length - 3} more`
      : unique.join(' · ');
}

/**
 * Where a selection is after the graph changed under it: the same node, the same edge (found by
 * its ends, port and guard, wherever it now sits in the list), or nothing when it is gone.
 */
export function remapSelection(
  selection: Selection,
  before: EditorDefinition,
  after: EditorDefinition,
): Selection {
  if (selection === undefined) return undefined;
  if (selection.kind === 'node') {
    return after.nodes.some((n) => n.id === selection.id) ? selection : undefined;
  }
  const edge = before.edges[selection.index];
  if (!edge) return undefined;
  const index = after.edges.findIndex((e) => edgeKey(e) === edgeKey(edge));
  if (index < 0) return undefined;
  return index === selection.index ? selection : { kind: 'edge', index };
}

/** Whether a view of the draft is newer than the one shown (a late answer never goes back). */
export function isNewer(shown: Pick<DraftView, 'revision'> | undefined, next: DraftView): boolean {
  return shown === undefined || next.revision > shown.revision;
}

/** A node's author badge, kept for a while after someone else's change touched it. */
export interface Mark {
  text: string;
  /** Client time the mark was made (for its expiry and the highlight's restart). */
  at: number;
}

/**
 * The badges after a change by `by`: each node it added or changed gets one ("added by claude
 * (agent)"); marks older than `keepMs` and marks on nodes that are gone are dropped.
 */
export function markChange(
  marks: ReadonlyMap<string, Mark>,
  t: Pick<Touched, 'added' | 'changed' | 'removed'>,
  by: Author | undefined,
  now: number,
  keepMs: number,
): Map<string, Mark> {
  const out = new Map(
    [...marks].filter(([id, m]) => now - m.at < keepMs && !t.removed.includes(id)),
  );
  const who = authorLabel(by);
  for (const id of t.added) out.set(id, { text: `added by ${who}`, at: now });
  for (const id of t.changed) out.set(id, { text: `changed by ${who}`, at: now });
  return out;
}
