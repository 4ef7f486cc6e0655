// A finding is a violation found by comparing a (partly) patched definition with its base. Its
// `key` names the fact ("node n3 was removed") so that the validator can tell which operation
// first made it true; `at` points into the patched definition.
import { canonicalJson } from '../content/canonical.js';

export interface Finding {
  key: string;
  code: string;
  message: string;
  /** A JSON pointer into the patched definition. */
  at: string;
}

export interface NodeView {
  index: number;
  raw: Record<string, unknown>;
  canonical: string;
}

const asRecord = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

export const arrayOf = (doc: unknown, key: string): unknown[] => {
  const v = asRecord(doc)[key];
  return Array.isArray(v) ? v : [];
};

/** Nodes by id (the first with each id; nodes without a string id are left out). */
export function nodesById(doc: unknown): Map<string, NodeView> {
  const out = new Map<string, NodeView>();
  arrayOf(doc, 'nodes').forEach((n, index) => {
    const raw = asRecord(n);
    const id = raw['id'];
    if (typeof id === 'string' && !out.has(id)) {
      out.set(id, { index, raw, canonical: canonicalJson(n) });
    }
  });
  return out;
}

export interface EdgeView {
  index: number;
  from: unknown;
  to: unknown;
  /** Equal for edges that behave the same (`on` absent and `on: "success"` are one). */
  key: string;
}

export function edgesOf(doc: unknown): EdgeView[] {
  return arrayOf(doc, 'edges').map((e, index) => {
    const raw = asRecord(e);
    const { from, to, on, when, ...rest } = raw;
    const key = canonicalJson([from, to, on ?? 'success', when ?? null, rest]);
    return { index, from, to, key };
  });
}

/** What the checks compare: a definition's nodes by id and its edges. */
export interface DefView {
  nodes: Map<string, NodeView>;
  edges: EdgeView[];
}

export function viewOf(doc: unknown): DefView {
  return { nodes: nodesById(doc), edges: edgesOf(doc) };
}
