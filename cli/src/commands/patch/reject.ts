import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { out, outJson } from '../../lib/output.js';
import { formatPatch } from '../../lib/patches.js';
import { reviewArgs, reviewFlags } from '../../lib/review-patch.js';

export default class PatchReject extends AobCommand<typeof PatchReject> {
  static override summary = 'Reject a patch held for a reviewer.';
  static override description = `The patch is recorded as rejected by you, with the reason; nothing changes in the run or workflow. Exit 0. The author of a patch never reviews it; when the workflow's patchPolicy names reviewers, only they do.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> pch_… --reason "checked the code"',
  ];

  static override args = reviewArgs;
  static override flags = reviewFlags;

  protected async perform(): Promise<number> {
    const engine = await this.engine();
    const patch = await engine.reviewPatch(
      this.args.patchId,
      'rejected',
      this.flags.by ?? this.defaultActor(),
      this.flags.reason,
    );
    const shown = patch.status === 'applied' ? await engine.patch(patch.patchId) : { patch };
    if (this.jsonMode)
      await outJson({ ...shown.patch, ...(shown.diff ? { diff: shown.diff } : {}) });
    else await out(formatPatch(shown.patch, shown.diff));
    return patch.status === 'rejected' ? ExitCode.Ok : ExitCode.Failed;
  }
}
