import { ReviewPatchCommand } from '../../lib/review-patch.js';

export default class PatchApprove extends ReviewPatchCommand {
  static override summary = 'Approve a patch held for a reviewer: it is judged again and applied.';
  static override description = `Approval judges the patch again against the run or workflow as it is now, with every node type allowed; if it no longer passes (say a node it changes has started meanwhile) it is rejected with the violations. Exit 0 when applied, 1 when rejected. The author of a patch never reviews it; when the workflow's patchPolicy names reviewers, only they do.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> pch_… --reason "checked the code"',
  ];

  protected readonly decision = 'approved';
}
