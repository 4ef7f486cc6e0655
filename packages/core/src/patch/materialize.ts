// Materialisation: base definition + operations, applied one at a time with fast-json-patch to a
// private deep copy (the base is never touched, and the result never shares objects with the
// caller's patch). Operations the validator refused are not applied; an operation that fails
// (a path that does not resolve, a failing `test`) becomes a violation and the rest still run, so
// that one pass reports every problem. Along the way it records where each value came from, so
// problems found in the result can point back into the patch document.
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { Problem } from '../errors.js';
import type { Finding } from './findings.js';
import { arrayOf } from './findings.js';
import { parsePointer, toPointer } from './paths.js';

export interface Materialized {
  doc: unknown;
  /** Operations that failed to apply. */
  problems: Problem[];
  /** Findings of `check` on the result, each with the operation that first made it true. */
  findings: (Finding & { op?: number })[];
  /** The pointer into the patch document a pointer into the result came from, when known. */
  locate(pointer: string): string | undefined;
}

// Findings are traced to the operation that first made them true by re-applying the patch with
// the checks run after every operation — only when the result has findings (a rejected patch
// pays for its explanation, an accepted one does not), and only up to this many operations;
// past it, findings are traced by where their value came from alone.
const ATTRIBUTE_MAX_OPS = 64;

export function materialize(
  base: unknown,
  ops: readonly unknown[],
  skip: ReadonlySet<number>,
  check: (doc: unknown) => Finding[],
): Materialized {
  const origin = new Map<object, string>();
  const problems: Problem[] = [];
  const doc = applyAll(
    base,
    ops,
    skip,
    (op, index) => {
      if ('value' in op) remember(op.value, `/ops/${index}/value`, origin);
    },
    problems,
  );
  let findings: (Finding & { op?: number })[] = check(doc);
  if (findings.length > 0 && ops.length <= ATTRIBUTE_MAX_OPS) {
    const since = new Map<string, number>();
    applyAll(base, ops, skip, undefined, [], (state, index) => {
      const keys = new Set(check(state).map((f) => f.key));
      for (const key of since.keys()) if (!keys.has(key)) since.delete(key);
      for (const key of keys) if (!since.has(key)) since.set(key, index);
    });
    findings = findings.map((f) => {
      const op = since.get(f.key);
      return op === undefined ? f : { ...f, op };
    });
  }
  return { doc, problems, findings, locate: (pointer) => locate(doc, origin, pointer) };
}

/** Applies the operations not skipped, one at a time, to a deep copy of `base`. */
function applyAll(
  base: unknown,
  ops: readonly unknown[],
  skip: ReadonlySet<number>,
  before: ((op: Operation, index: number) => void) | undefined,
  problems: Problem[],
  after?: (doc: unknown, index: number) => void,
): unknown {
  let doc: unknown = JSON.parse(JSON.stringify(base));
  ops.forEach((raw, index) => {
    if (skip.has(index)) return;
    const op = JSON.parse(JSON.stringify(raw)) as Operation;
    before?.(op, index);
    try {
      doc = jsonpatch.applyOperation(doc, op, true, true, true, index).newDocument;
    } catch (err) {
      problems.push(applyProblem(err, op, index, doc));
      return;
    }
    after?.(doc, index);
  });
  return doc;
}

function remember(value: unknown, at: string, origin: Map<object, string>): void {
  if (value === null || typeof value !== 'object') return;
  origin.set(value, at);
  if (Array.isArray(value)) value.forEach((v, i) => remember(v, `${at}/${i}`, origin));
  else for (const [k, v] of Object.entries(value)) remember(v, `${at}${toPointer([k])}`, origin);
}

/** The deepest object on `pointer` that came from an operation's value decides. */
function locate(doc: unknown, origin: Map<object, string>, pointer: string): string | undefined {
  const segments = parsePointer(pointer);
  if (segments === undefined) return undefined;
  let found: string | undefined;
  let cur: unknown = doc;
  for (let i = 0; i <= segments.length; i++) {
    if (cur === null || typeof cur !== 'object') break;
    const from = origin.get(cur);
    if (from !== undefined) found = from + toPointer(segments.slice(i));
    if (i === segments.length) break;
    const seg = segments[i]!;
    cur = Object.hasOwn(cur, seg) ? (cur as Record<string, unknown>)[seg] : undefined;
  }
  return found;
}

const UNRESOLVED = new Set([
  'OPERATION_PATH_UNRESOLVABLE',
  'OPERATION_FROM_UNRESOLVABLE',
  'OPERATION_VALUE_OUT_OF_BOUNDS',
  'OPERATION_PATH_ILLEGAL_ARRAY_INDEX',
  'OPERATION_PATH_CANNOT_ADD',
]);

function applyProblem(err: unknown, op: Operation, index: number, doc: unknown): Problem {
  const name = (err as { name?: unknown }).name;
  const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
  if (name === 'TEST_OPERATION_FAILED') {
    return {
      code: 'UNKNOWN_NODE',
      path: `/ops/${index}`,
      message: `test failed: the value at '${op.path}' is not the one the patch expects (the definition changed?)`,
    };
  }
  if (typeof name === 'string' && UNRESOLVED.has(name)) {
    const field = name === 'OPERATION_FROM_UNRESOLVABLE' ? 'from' : 'path';
    const pointer = field === 'from' ? (op as { from: string }).from : op.path;
    return {
      code: 'UNKNOWN_NODE',
      path: `/ops/${index}/${field}`,
      message: unresolvedMessage(pointer, doc) ?? `'${pointer}' does not exist (${message})`,
    };
  }
  return { code: 'SCHEMA', path: `/ops/${index}`, message };
}

/** Explains a pointer into /nodes or /edges that names no element. */
function unresolvedMessage(pointer: string, doc: unknown): string | undefined {
  const [root, key] = parsePointer(pointer) ?? [];
  if ((root !== 'nodes' && root !== 'edges') || key === undefined) return undefined;
  const list = arrayOf(doc, root);
  const what = root === 'nodes' ? 'node' : 'edge';
  if (/^(0|[1-9]\d*)$/.test(key) || key === '-') {
    return `there is no ${what} at index ${key} (${list.length} ${what}s at that point)`;
  }
  if (root === 'nodes') {
    const at = list.findIndex((n) => (n as { id?: unknown } | null)?.id === key);
    return at === -1
      ? `there is no node '${key}' (nodes are addressed by index)`
      : `nodes are addressed by index: node '${key}' is /nodes/${at}`;
  }
  return `edges are addressed by index, not '${key}'`;
}
