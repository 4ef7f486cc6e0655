// The patch lifecycle of a run (ARCHITECTURE §4): PatchProposed → the validator → PatchRejected with
// every violation, or PatchApplied and the run continues on the rematerialised IR; PatchReverted
// takes an applied patch out again (base + the other applied patches, in order). A valid patch the
// workflow's patch policy reviews is PatchHeld until a reviewer approves or rejects it.
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { WorkflowDefinition } from '../definition/types.js';
import { NodeType } from '../definition/types.js';
import type { Problem } from '../errors.js';
import { compileCached } from '../ir/compile.js';
import { validatePatch } from '../patch/validate.js';
import type { PatchPolicy, PatchVerdict, ValidatePatchInput } from '../patch/validate.js';
import {
  judgePatch,
  proposalPolicy,
  REVIEWED_POLICY,
  reviewRefusal,
  type PatchJudgement,
} from '../patch/review.js';
import type { Decider } from './decider.js';
import { advance } from './advance.js';
import { failRun } from './ending.js';
import { AobError, toErrorData } from '../errors.js';
import type { IR } from '../ir/types.js';
import type { PatchState, RunState } from './state.js';
import { isRunOver } from './state.js';
import { truthy } from '../expr/index.js';

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Validates a proposed patch against the run as it is now; applies it if it passes, holds it for a
 * reviewer if the workflow's patch policy says so, rejects it with every violation otherwise. The
 * verdict is the shell's (a validator service's, `d.env.verdicts`) when it gives one, the library's
 * otherwise; both judge the input `proposalValidationInput` builds.
 */
export function proposePatch(d: Decider, patch: unknown, actor?: string): void {
  const doc = isRecord(patch) ? patch : {};
  const patchId =
    typeof doc.patchId === 'string' && doc.patchId !== '' ? doc.patchId : d.env.newId('patch');
  // A proposal delivered twice is decided once.
  if (d.state.patches.some((p) => p.patchId === patchId)) return;
  const author = authorOf(doc, actor);
  d.emit('PatchProposed', { patchId, patch }, actor ?? author);

  // PatchProposed changes neither the applied patches nor any node's status — all the input reads
  // of the state — so a verdict the shell obtained before this decision judged this very input.
  const policy = d.ir.definition.patchPolicy;
  const verdict = d.env.verdicts
    ? givenVerdict(d.env.verdicts, patch, `the proposal of patch ${patchId}`)
    : judge(d, patch, author, proposalPolicy(policy));
  const addressed = addressing(doc, d.state.runId);
  const judgement: PatchJudgement =
    addressed.length > 0
      ? { status: 'rejected', violations: [...verdict.violations, ...addressed] }
      : judgePatch(verdict, policy);
  if (judgement.status === 'rejected') {
    d.emit('PatchRejected', { patchId, violations: judgement.violations });
  } else if (judgement.status === 'held') {
    const { status: _held, ...data } = judgement;
    d.emit('PatchHeld', { patchId, ...data });
  } else {
    apply(d, patchId, author, verdict.materialized!);
  }
}

/**
 * What the validator must judge when `patch` is proposed to the run in `state` (on `ir`), or
 * undefined when deciding the proposal would judge nothing: the run is over, or a proposal with
 * this patchId was decided already. The one copy of the input: the core judges it itself, a shell
 * with a validator service sends it there and hands the verdict back (DeciderEnv.verdicts).
 */
export function proposalValidationInput(
  state: RunState,
  ir: IR,
  patch: unknown,
  actor?: string,
): ValidatePatchInput | undefined {
  if (isRunOver(state)) return undefined;
  const doc = isRecord(patch) ? patch : {};
  if (
    typeof doc.patchId === 'string' &&
    doc.patchId !== '' &&
    state.patches.some((p) => p.patchId === doc.patchId)
  ) {
    return undefined;
  }
  return validationInput(
    state,
    ir,
    patch,
    authorOf(doc, actor),
    proposalPolicy(ir.definition.patchPolicy),
  );
}

function authorOf(doc: Record<string, unknown>, actor: string | undefined): string {
  return typeof doc.author === 'string' ? doc.author : (actor ?? 'unknown');
}

function givenVerdict<K>(
  verdicts: ReadonlyMap<K, PatchVerdict>,
  key: K,
  what: string,
): PatchVerdict {
  const verdict = verdicts.get(key);
  if (!verdict) {
    throw new AobError('VERDICT_MISSING', `the shell gave validator verdicts but none for ${what}`);
  }
  return verdict;
}

/**
 * What the validator must judge when `by` approves held patch `patchId` of the run in `state`
 * (on `ir`): the held operations against the run as it is now, every node type allowed. Undefined
 * when the review judges nothing (a rejection, a run that is over, a patch not held, a reviewer
 * the patch refuses). The one copy, as proposalValidationInput is for proposals.
 */
export function reviewValidationInput(
  state: RunState,
  ir: IR,
  patchId: string,
  decision: 'approved' | 'rejected',
  by: string,
): ValidatePatchInput | undefined {
  if (isRunOver(state) || decision !== 'approved') return undefined;
  const held = reviewable(state, patchId, by);
  if (!held) return undefined;
  return validationInput(
    state,
    ir,
    reviewedDocument(state, ir, held),
    held.author,
    REVIEWED_POLICY,
  );
}

/** The held patch `by` may review, if any. */
function reviewable(state: RunState, patchId: string, by: string): PatchState | undefined {
  const held = state.patches.find((p) => p.patchId === patchId && p.status === 'held');
  return held && reviewRefusal(held, by) === undefined ? held : undefined;
}

/** The document an approval judges: the held operations, on the base they were written for. */
function reviewedDocument(state: RunState, ir: IR, held: PatchState): Record<string, unknown> {
  return {
    patchId: held.patchId,
    scope: 'run',
    target: state.runId,
    baseIrHash: held.baseIrHash ?? ir.irHash,
    ops: held.ops,
    author: held.author,
  };
}

/**
 * A reviewer decides a held patch. Approval judges it again against the run as it is now (nodes
 * may have started, other patches may have moved the run on), with every node type allowed; if it
 * no longer passes it is rejected with the violations. The shell checks `reviewRefusal` first and
 * tells the person; a refused review that still arrives here changes nothing.
 */
export function reviewPatch(
  d: Decider,
  patchId: string,
  decision: 'approved' | 'rejected',
  by: string,
  reason?: string,
): void {
  const held = reviewable(d.state, patchId, by);
  if (!held) return;
  const reviewed = { reviewedBy: by, ...(reason !== undefined ? { reason } : {}) };
  if (decision === 'rejected') {
    d.emit('PatchRejected', { patchId, violations: [], ...reviewed }, by);
    return;
  }
  const verdict = d.env.reviewVerdicts
    ? givenVerdict(d.env.reviewVerdicts, patchId, `the approval of patch ${patchId}`)
    : judge(d, reviewedDocument(d.state, d.ir, held), held.author, REVIEWED_POLICY);
  if (!verdict.ok || !verdict.materialized) {
    d.emit('PatchRejected', { patchId, violations: verdict.violations, ...reviewed }, by);
    return;
  }
  apply(d, patchId, held.author, verdict.materialized, reviewed, by);
}

/** The validator's verdict on `patch` against the run now, counting the author's earlier spawns. */
function judge(d: Decider, patch: unknown, author: string, policy: PatchPolicy): PatchVerdict {
  return validatePatch(validationInput(d.state, d.ir, patch, author, policy));
}

/** The input of the validator for `patch` by `author` on the run in `state`, on `ir`. */
function validationInput(
  state: RunState,
  ir: IR,
  patch: unknown,
  author: string,
  policy: PatchPolicy,
): ValidatePatchInput {
  const applied = state.patches.filter((p) => p.status === 'applied');
  const spawned = applied
    .filter((p) => p.author === author)
    .reduce((n, p) => n + (p.added?.length ?? 0), 0);
  return {
    patch,
    base: ir.definition,
    baseIrHash: ir.irHash,
    state,
    appliedPatches: applied.length,
    spawnedByAuthor: spawned,
    policy,
  };
}

/** Moves the run onto `materialized` and lets it go on at once on the new topology. */
function apply(
  d: Decider,
  patchId: string,
  author: string,
  materialized: WorkflowDefinition,
  reviewed: { reviewedBy?: string; reason?: string } = {},
  actor?: string,
): void {
  const added = addedNodes(d.ir.definition, materialized);
  const before = d.ir;
  switchDefinition(d, materialized);
  let routes: Record<string, string[]>;
  try {
    routes = newRoutes(d, before);
  } catch (err) {
    failRun(d, toErrorData(err, 'EXPRESSION_ERROR'));
    return;
  }
  d.emit(
    'PatchApplied',
    {
      patchId,
      irHash: d.ir.irHash,
      author,
      added,
      ...(Object.keys(routes).length > 0 ? { routes } : {}),
      ...reviewed,
    },
    actor,
  );
  advance(d, 'all');
}

/**
 * Takes an applied patch out: the run moves to base + the other applied patches. The change is
 * judged like a patch (the past stays fixed); if it cannot be made, a proposal `<id>.revert` is
 * recorded as rejected with the reasons, and the patch stays applied.
 */
export function revertPatch(d: Decider, patchId: string, by?: string): void {
  const target = d.state.patches.find((p) => p.patchId === patchId && p.status === 'applied');
  if (!target) return;
  const revertId = `${patchId}.revert`;
  const base = d.resolve({ $cas: d.state.baseIrHash as `sha256:${string}`, size: 0 });
  const violations: Problem[] = [];
  let next = jsonpatch.deepClone(base) as WorkflowDefinition;
  for (const p of d.state.patches) {
    if (p.status !== 'applied' || p.patchId === patchId) continue;
    try {
      next = jsonpatch.applyPatch(next, p.ops as Operation[], false, true).newDocument;
    } catch (err) {
      violations.push({
        code: 'SCHEMA',
        path: '/ops',
        message: `patch ${p.patchId} no longer applies without ${patchId}: ${(err as Error).message}`,
      });
    }
  }
  const ops = violations.length === 0 ? jsonpatch.compare(d.ir.definition, next) : [];
  const proposal = {
    patchId: revertId,
    scope: 'run',
    target: d.state.runId,
    baseIrHash: d.ir.irHash,
    ops,
    author: by ?? 'unknown',
    rationale: `revert ${patchId}`,
  };
  if (violations.length === 0) {
    const verdict = validatePatch({
      patch: proposal,
      base: d.ir.definition,
      baseIrHash: d.ir.irHash,
      state: d.state,
      appliedPatches: 0, // taking a patch out never counts against the limit
      policy: { allowAgentTypes: Object.values(NodeType) },
    });
    violations.push(...verdict.violations);
  }
  if (violations.length > 0) {
    if (!d.state.patches.some((p) => p.patchId === revertId)) {
      d.emit('PatchProposed', { patchId: revertId, patch: proposal }, by);
    }
    d.emit('PatchRejected', { patchId: revertId, violations });
    return;
  }
  switchDefinition(d, next);
  d.emit('PatchReverted', { patchId, irHash: d.ir.irHash }, by);
  advance(d, 'all');
}

/** Moves the decision (and the run) onto the IR of `definition`, stored under its hash. */
function switchDefinition(d: Decider, definition: WorkflowDefinition): void {
  const ir = compileCached(definition);
  d.blob(ir.definition);
  d.switchIr(ir);
}

/**
 * New edges out of nodes that had already finished when the patch came: they are judged now, as
 * they would have been when the node finished (its outcome ports and the edge's guard).
 */
function newRoutes(d: Decider, before: IR): Record<string, string[]> {
  const key = (from: string, to: string, on: string) => `${from}\u0000${to}\u0000${on}`;
  const old = new Set(
    before.edges.map((e) => key(before.nodes[e.from]!.id, before.nodes[e.to]!.id, e.on)),
  );
  const routes: Record<string, string[]> = {};
  for (const e of d.ir.edges) {
    const from = d.ir.nodes[e.from]!.id;
    const to = d.ir.nodes[e.to]!.id;
    if (old.has(key(from, to, e.on))) continue;
    const src = d.state.nodes[from];
    if (!src || (src.status !== 'succeeded' && src.status !== 'failed')) continue;
    if (!(src.ports ?? []).includes(e.on)) continue;
    if (e.when && !truthy(e.when.evaluate(d.context()))) continue;
    if (src.route?.includes(to) || routes[from]?.includes(to)) continue;
    (routes[from] ??= []).push(to);
  }
  return routes;
}

function addedNodes(before: WorkflowDefinition, after: WorkflowDefinition): string[] {
  const had = new Set(before.nodes.map((n) => n.id));
  return after.nodes.filter((n) => !had.has(n.id)).map((n) => n.id);
}

/** A run takes patches addressed to it, of scope `run`. */
function addressing(doc: Record<string, unknown>, runId: string): Problem[] {
  const problems: Problem[] = [];
  if (doc.scope !== undefined && doc.scope !== 'run') {
    problems.push({
      code: 'SCHEMA',
      path: '/scope',
      message: `a run takes patches of scope "run", not "${String(doc.scope)}"`,
    });
  }
  if (doc.target !== undefined && doc.target !== runId) {
    problems.push({
      code: 'SCHEMA',
      path: '/target',
      message: `the patch targets ${String(doc.target)}, not run ${runId}`,
    });
  }
  return problems;
}
