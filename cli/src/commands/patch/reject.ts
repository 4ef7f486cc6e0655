import { ReviewPatchCommand } from '../../lib/review-patch.js';

export default class PatchReject extends ReviewPatchCommand {
  static override summary = 'Reject a patch held for a reviewer.';
  static override description = `The patch is recorded as rejected by you, with the reason; nothing changes in the run or workflow. Exit 0. The author of a patch never reviews it; when the workflow's patchPolicy names reviewers, only they do.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> pch_… --reason "checked the code"',
  ];

  protected readonly decision = 'rejected';
}
