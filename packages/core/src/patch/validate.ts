// validatePatch: the guard between an agent's proposal and a running graph (ARCHITECTURE §4). It checks
// the patch document, applies it to a private copy of the base, and judges the result against the
// base, the run state and the limits — returning every violation at once, each with a stable code
// and, where it can be traced, a JSON pointer into the PATCH document (`/ops/3/value/with/url`).
// Problems of the materialised definition that cannot be traced to an operation keep their
// pointer into that definition and say so in their message.
import { validateDefinition } from '../definition/validate.js';
import type { NodeType, WorkflowDefinition } from '../definition/types.js';
import { checkSchema } from '../definition/schemas.js';
import type { Problem } from '../errors.js';
import { irHashOf } from '../ir/compile.js';
import type { RunState } from '../run/state.js';
import { capabilityFindings, DEFAULT_AGENT_TYPES, runtimeChecked } from './capabilities.js';
import { arrayOf, viewOf, type Finding } from './findings.js';
import { frozenNodes, immutabilityFindings } from './immutability.js';
import {
  DEFAULT_MAX_OPS_BYTES,
  effectiveLimits,
  patchLimit,
  spawnLimit,
  tooLarge,
} from './limits.js';
import { materialize } from './materialize.js';
import { parsePointer, pathProblems, toPointer, valueKeyProblems } from './paths.js';

export interface PatchPolicy {
  /** Node types the author may add or change; default: every type but `code`. */
  allowAgentTypes?: readonly NodeType[];
  /** The largest `ops` array, as JSON in UTF-8 bytes; default 64 KiB. */
  maxOpsBytes?: number;
}

export interface ValidatePatchInput {
  /** The proposed patch document (schemas/patch.schema.json), unchecked. */
  patch: unknown;
  /** The definition the patch applies to: base + the patches applied so far. */
  base: WorkflowDefinition;
  /** The IR hash of `base`; a patch written against another one is stale. */
  baseIrHash: string;
  /** The run's state (scope `run`): nodes that are not 'pending' are frozen. */
  state?: RunState;
  /** How many patches are already applied to this run or workflow. */
  appliedPatches: number;
  /** How many nodes this author's earlier patches added. */
  spawnedByAuthor?: number;
  policy?: PatchPolicy;
}

export interface PatchVerdict {
  ok: boolean;
  violations: Problem[];
  /** The definition after the patch; only when ok. */
  materialized?: WorkflowDefinition;
  /** Its IR hash; only when ok. */
  irHash?: string;
  /**
   * What the validator could not judge and leaves to run time (code RUNTIME_CHECK): URLs that are
   * expressions. Notes never make a patch invalid.
   */
  notes: Problem[];
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);
const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export function validatePatch(input: ValidatePatchInput): PatchVerdict {
  const { patch, base } = input;
  const violations: Problem[] = checkSchema('patch', patch);
  if (!isRecord(patch) || !Array.isArray(patch['ops'])) return { ok: false, violations, notes: [] };
  const ops = patch['ops'] as unknown[];
  const limits = effectiveLimits(base.limits);

  if (typeof patch['baseIrHash'] === 'string' && patch['baseIrHash'] !== input.baseIrHash) {
    violations.push({
      code: 'STALE_BASE',
      path: '/baseIrHash',
      message: `the patch was written against ${patch['baseIrHash']}, but the definition is now ${input.baseIrHash}`,
    });
  }
  const tooMany = patchLimit(input.appliedPatches, limits);
  if (tooMany) violations.push(tooMany);
  // A patch past the size limit is not applied: judging it would cost what the limit prevents.
  const big = tooLarge(ops, input.policy?.maxOpsBytes ?? DEFAULT_MAX_OPS_BYTES);
  if (big) return { ok: false, violations: [...violations, big], notes: [] };

  // Operations that are malformed or reach where they may not are reported and not applied.
  const skip = new Set<number>();
  ops.forEach((op, i) => {
    if (!wellFormed(op)) {
      skip.add(i);
      return;
    }
    const refused = [...pathProblems(op, i), ...valueKeyProblems(op['value'], `/ops/${i}/value`)];
    if (refused.length > 0) {
      skip.add(i);
      violations.push(...refused);
    }
  });

  const before = viewOf(base);
  const frozen = frozenNodes(before, input.state);
  const allow = input.policy?.allowAgentTypes ?? DEFAULT_AGENT_TYPES;
  const check = (doc: unknown): Finding[] => {
    const after = viewOf(doc);
    return [
      ...immutabilityFindings(before, after, frozen),
      ...capabilityFindings(before, after, allow),
    ];
  };
  const result = materialize(base, ops, skip, check);
  violations.push(...result.problems);
  for (const f of result.findings) {
    const path =
      result.locate(f.at) ?? (f.op === undefined ? '/ops' : opPath(ops[f.op], f.op, f.at));
    violations.push({ code: f.code, path, message: f.message });
  }

  for (const p of validateDefinition(result.doc)) {
    const traced = result.locate(p.path);
    if (traced !== undefined) violations.push({ ...p, path: traced });
    else if (p.path === '/nodes' || p.path === '/edges') violations.push({ ...p, path: '/ops' });
    else violations.push({ ...p, message: `${p.message} (in the materialised definition)` });
  }

  const spawns = spawnLimit(
    addedNodes(base, result.doc).map((a) => ({
      id: a.id,
      path: result.locate(`/nodes/${a.index}`) ?? '/ops',
    })),
    input.spawnedByAuthor ?? 0,
    limits,
  );
  if (spawns) violations.push(spawns);

  const notes = runtimeChecked(before, viewOf(result.doc)).map((n) => ({
    code: 'RUNTIME_CHECK',
    path:
      result.locate(n.at) ??
      ops.reduceRight<string | undefined>(
        (found, op, i) => found ?? (skip.has(i) ? undefined : opPath(op, i, n.at, true)),
        undefined,
      ) ??
      n.at,
    message: n.message,
  }));
  if (violations.length > 0) return { ok: false, violations: dedupe(violations), notes };
  const materialized = result.doc as WorkflowDefinition;
  return { ok: true, violations: [], notes, materialized, irHash: irHashOf(materialized) };
}

/** Nodes of `doc` that are not in `base`: new ids, and further nodes with a base id. */
export function addedNodes(base: unknown, doc: unknown): { id: string; index: number }[] {
  const known = new Set(arrayOf(base, 'nodes').map((n) => (n as { id?: unknown } | null)?.id));
  const seen = new Set<unknown>();
  const out: { id: string; index: number }[] = [];
  arrayOf(doc, 'nodes').forEach((n, index) => {
    const id = (n as { id?: unknown } | null)?.id;
    if (!known.has(id) || seen.has(id)) out.push({ id: String(id), index });
    seen.add(id);
  });
  return out;
}

/**
 * Where in operation `index` a finding at `at` (a pointer into the result) was written: inside its
 * value when the operation wrote a value at or above `at`, else the operation itself.
 */
function opPath(op: unknown, index: number, at: string): string;
function opPath(op: unknown, index: number, at: string, strict: true): string | undefined;
function opPath(op: unknown, index: number, at: string, strict = false): string | undefined {
  const fallback = strict ? undefined : `/ops/${index}`;
  const o = op as { op?: unknown; path?: unknown; value?: unknown };
  const writes = (o.op === 'add' || o.op === 'replace') && typeof o.path === 'string';
  const written = writes ? parsePointer(o.path as string) : undefined;
  const target = parsePointer(at);
  if (written === undefined || target === undefined || written.length > target.length) {
    return fallback;
  }
  if (written.some((s, i) => s !== target[i])) return fallback;
  return `/ops/${index}/value${toPointer(target.slice(written.length))}`;
}

/** What fast-json-patch needs to apply an operation (the schema check reports the rest). */
function wellFormed(op: unknown): op is Record<string, unknown> {
  if (!isRecord(op) || typeof op['op'] !== 'string' || !OPS.has(op['op'])) return false;
  if (typeof op['path'] !== 'string' || parsePointer(op['path']) === undefined) return false;
  if (op['op'] === 'move' || op['op'] === 'copy') {
    return typeof op['from'] === 'string' && parsePointer(op['from']) !== undefined;
  }
  return op['op'] === 'remove' || op['value'] !== undefined;
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.code}\u0000${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
