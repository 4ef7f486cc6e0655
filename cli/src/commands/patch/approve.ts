import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { out, outJson } from '../../lib/output.js';
import { formatPatch } from '../../lib/patches.js';
import { reviewArgs, reviewFlags } from '../../lib/review-patch.js';

export default class PatchApprove extends AobCommand<typeof PatchApprove> {
  static override summary = 'Approve a patch held for a reviewer: it is judged again and applied.';
  static override description = `Approval judges the patch again against the run or workflow as it is now, with every node type allowed; if it no longer passes (say a node it changes has started meanwhile) it is rejected with the violations. Exit 0 when applied, 1 when rejected. The author of a patch never reviews it; when the workflow's patchPolicy names reviewers, only they do.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> pch_… --reason "checked the code"',
  ];

  static override args = reviewArgs;
  static override flags = reviewFlags;

  protected async perform(): Promise<number> {
    const engine = await this.engine();
    const patch = await engine.reviewPatch(
      this.args.patchId,
      'approved',
      this.flags.by ?? this.defaultActor(),
      this.flags.reason,
    );
    const shown = patch.status === 'applied' ? await engine.patch(patch.patchId) : { patch };
    if (this.jsonMode)
      await outJson({ ...shown.patch, ...(shown.diff ? { diff: shown.diff } : {}) });
    else await out(formatPatch(shown.patch, shown.diff));
    return patch.status === 'applied' ? ExitCode.Ok : ExitCode.Failed;
  }
}
