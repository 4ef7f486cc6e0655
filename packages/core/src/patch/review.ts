// The patch policy of a workflow (ARCHITECTURE §4, `patchPolicy`): which valid patches wait for a person.
// One judgement for both scopes, so a run and a workflow hold the same patches for the same reasons.
import type { NodeType, WorkflowPatchPolicy } from '../definition/types.js';
import { NodeType as NodeTypes } from '../definition/types.js';
import type { Problem } from '../errors.js';
import { DEFAULT_AGENT_TYPES } from './capabilities.js';
import type { PatchPolicy, PatchVerdict } from './validate.js';

export type PatchJudgement =
  | { status: 'applied' }
  | { status: 'held'; reasons: Problem[]; reviewers?: string[] }
  | { status: 'rejected'; violations: Problem[] };

/** The validator policy for a first look: node types outside `agentTypes` are findings. */
export function proposalPolicy(policy: WorkflowPatchPolicy | undefined): PatchPolicy {
  return { allowAgentTypes: policy?.agentTypes ?? DEFAULT_AGENT_TYPES };
}

/** After a reviewer approved: every node type is allowed; everything else is judged again. */
export const REVIEWED_POLICY: PatchPolicy = {
  allowAgentTypes: Object.values(NodeTypes) as NodeType[],
};

/**
 * What becomes of a proposal the validator judged under `proposalPolicy`: rejected with every
 * violation if anything other than FORBIDDEN_TYPE is wrong; held when FORBIDDEN_TYPE is all that is
 * wrong and the policy reviews such patches (the default), or when it reviews every patch;
 * applied otherwise.
 */
export function judgePatch(
  verdict: PatchVerdict,
  policy: WorkflowPatchPolicy | undefined,
): PatchJudgement {
  const review = policy?.review ?? 'forbidden-types';
  const reviewers = policy?.reviewers?.length ? { reviewers: [...policy.reviewers] } : {};
  if (verdict.ok) {
    if (review !== 'always') return { status: 'applied' };
    const reasons = [
      {
        code: 'REVIEW_REQUIRED',
        path: '',
        message: "the workflow's patch policy (review: always) holds every patch for a reviewer",
      },
    ];
    return { status: 'held', reasons, ...reviewers };
  }
  const forbidden = verdict.violations.filter((v) => v.code === 'FORBIDDEN_TYPE');
  if (
    review !== 'never' &&
    forbidden.length > 0 &&
    forbidden.length === verdict.violations.length
  ) {
    return { status: 'held', reasons: forbidden, ...reviewers };
  }
  return { status: 'rejected', violations: verdict.violations };
}

/**
 * Why `by` may not decide a held patch, if it may not: its author never reviews it (an agent
 * does not approve its own change), and when the policy names reviewers only they do.
 */
export function reviewRefusal(
  patch: { patchId: string; author: string; reviewers?: readonly string[] },
  by: string,
): string | undefined {
  if (by === patch.author) {
    return `${by} proposed patch ${patch.patchId} and may not review it`;
  }
  if (patch.reviewers && patch.reviewers.length > 0 && !patch.reviewers.includes(by)) {
    return `${by} is not a reviewer of patch ${patch.patchId} (reviewers: ${patch.reviewers.join(', ')})`;
  }
  return undefined;
}
