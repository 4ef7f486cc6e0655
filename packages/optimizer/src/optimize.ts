// Runs passes over a workflow (or a running run's definition) and judges what they propose the way
// every patch is judged: validatePatch, then the workflow's patch policy (ARCHITECTURE §4). Nothing
// here changes a stored graph: the report says what each proposal would become — applied, held
// or rejected with every violation — and a caller that means it proposes the applied ones as real
// patches, authored `optimizer:<pass>` (the CLI's --apply, the engine's AOB_OPTIMIZE_ON).
//
// Passes run in order, each on what the ones before left. A pass runs in rounds: each round it
// sees the current definition and its proposals are judged in order; the first that applies
// becomes the current definition and the pass runs again (its other proposals were written
// against a definition that no longer is); a round in which none applies — or MAX_ROUNDS — ends
// the pass, and so does a proposal that leaves the definition as it was. A pass that fails (refused, trapped, stopped, bad answer) is reported with its error
// code and changes nothing; the passes after it still run.
import type { Problem, RunState, WorkflowDefinition } from '@aob/core';
import {
  AobError,
  compileCached,
  irHashOf,
  judgePatch,
  proposalPolicy,
  validatePatch,
  type ErrorCode,
} from '@aob/core';
import { DEFAULT_LIMITS, type PassLimits } from './abi.js';
import { irView } from './ir-view.js';
import { loadPass, type PassSource } from './passes.js';
import { parseProposals } from './proposals.js';
import { callPass } from './sandbox.js';

export const MAX_ROUNDS = 8;

export interface OptimizeInput {
  definition: WorkflowDefinition;
  passes: readonly PassSource[];
  limits?: Partial<PassLimits>;
  /** A running run: its state (what has run) and id; the proposals are of scope `run`. */
  run?: { runId: string; state: RunState };
  /** Patches already applied to the run or the workflow's line (PATCH_LIMIT counts them). */
  appliedPatches?: number;
}

export interface ProposalReport {
  pass: string;
  /** `optimizer:<pass>`: the author the patch is proposed as. */
  author: string;
  round: number;
  rationale: string;
  ops: unknown[];
  /** The verdict of the validator and the patch policy. */
  status: 'applied' | 'held' | 'rejected';
  violations: Problem[];
  reasons?: Problem[];
  /** The definition the proposal was written against, and the result when it applies. */
  before: WorkflowDefinition;
  after?: WorkflowDefinition;
}

export interface PassReport {
  pass: string;
  builtin: boolean;
  rounds: number;
  /** Time spent in the pass (loading, sandbox, judging), in milliseconds. */
  ms: number;
  error?: { code: ErrorCode; message: string };
}

export interface OptimizeReport {
  /** The definition with every applied proposal. */
  definition: WorkflowDefinition;
  proposals: ProposalReport[];
  passes: PassReport[];
  ms: number;
}

export async function optimize(input: OptimizeInput): Promise<OptimizeReport> {
  const started = performance.now();
  const limits = { ...DEFAULT_LIMITS, ...input.limits };
  let current = input.definition;
  let applied = input.appliedPatches ?? 0;
  const proposals: ProposalReport[] = [];
  const passes: PassReport[] = [];
  for (const pass of input.passes) {
    const passStarted = performance.now();
    const report: PassReport = { pass: pass.name, builtin: pass.builtin, rounds: 0, ms: 0 };
    passes.push(report);
    try {
      const checked = await loadPass(pass, limits);
      while (report.rounds < MAX_ROUNDS) {
        report.rounds += 1;
        const ir = compileCached(current);
        const view = irView(ir, input.run?.state);
        const text = await callPass(pass.name, checked, JSON.stringify(view), limits);
        const round = parseProposals(pass.name, text);
        let next: WorkflowDefinition | undefined;
        for (const p of round) {
          const judged = judge(
            current,
            ir.irHash,
            p.ops,
            p.rationale,
            pass.name,
            applied,
            input.run,
          );
          // A patch that leaves the definition as it was is no proposal: the pass has converged.
          if (judged.after && irHashOf(judged.after) === ir.irHash) break;
          proposals.push({ ...judged, round: report.rounds });
          if (judged.status === 'applied') {
            next = judged.after;
            break;
          }
        }
        if (!next) break;
        current = next;
        applied += 1;
      }
    } catch (err) {
      if (!(err instanceof AobError)) throw err;
      report.error = { code: err.code as ErrorCode, message: err.message };
    }
    report.ms = performance.now() - passStarted;
  }
  return { definition: current, proposals, passes, ms: performance.now() - started };
}

function judge(
  base: WorkflowDefinition,
  baseIrHash: string,
  ops: unknown[],
  rationale: string,
  pass: string,
  appliedPatches: number,
  run: OptimizeInput['run'],
): Omit<ProposalReport, 'round'> {
  const author = `optimizer:${pass}`;
  const patch = {
    patchId: `optimizer-${pass}`,
    scope: run ? 'run' : 'workflow',
    target: run ? run.runId : `${base.name}@${base.version}`,
    baseIrHash,
    ops,
    author,
    rationale,
  };
  const verdict = validatePatch({
    patch,
    base,
    baseIrHash,
    appliedPatches,
    ...(run ? { state: run.state } : {}),
    policy: proposalPolicy(base.patchPolicy),
  });
  const judgement = judgePatch(verdict, base.patchPolicy);
  const common = { pass, author, rationale, ops, before: base };
  if (judgement.status === 'applied') {
    return { ...common, status: 'applied', violations: [], after: verdict.materialized! };
  }
  if (judgement.status === 'held') {
    return { ...common, status: 'held', violations: [], reasons: judgement.reasons };
  }
  return { ...common, status: 'rejected', violations: judgement.violations };
}
