// `aob patch approve` and `aob patch reject`: one command in two decisions.
import { Args, Flags } from '@oclif/core';
import { AobCommand } from './base.js';
import { ExitCode } from './exit-codes.js';
import { out, outJson } from './output.js';
import { formatPatch } from './patches.js';

export abstract class ReviewPatchCommand extends AobCommand<typeof ReviewPatchCommand> {
  static override args = {
    patchId: Args.string({ description: 'The held patch.', required: true }),
  };

  static override flags = {
    reason: Flags.string({ description: 'Why; recorded with the decision.' }),
    by: Flags.string({
      description: 'Who decides (default: $USER). Local only: a server takes it from the token.',
    }),
  };

  protected abstract readonly decision: 'approved' | 'rejected';

  protected async perform(): Promise<number> {
    const backend = await this.backend();
    const patch = await backend.reviewPatch(this.args.patchId, this.decision, {
      ...(this.flags.by !== undefined ? { by: this.flags.by } : {}),
      ...(this.flags.reason !== undefined ? { reason: this.flags.reason } : {}),
    });
    const shown = patch.status === 'applied' ? await backend.patch(patch.patchId) : { patch };
    if (this.jsonMode)
      await outJson({ ...shown.patch, ...(shown.diff ? { diff: shown.diff } : {}) });
    else await out(formatPatch(shown.patch, shown.diff));
    // Approving ends applied unless the patch no longer passes; rejecting always ends rejected.
    const wanted = this.decision === 'approved' ? 'applied' : 'rejected';
    return patch.status === wanted ? ExitCode.Ok : ExitCode.Failed;
  }
}
