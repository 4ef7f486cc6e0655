import { Args } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { out, outJson } from '../../lib/output.js';
import { formatPatch } from '../../lib/patches.js';

export default class PatchRevert extends AobCommand<typeof PatchRevert> {
  static override summary = 'Take an applied patch out of its run, or roll a workflow back.';
  static override description = `Run scope: the run moves to its base definition plus the other applied patches; exit 0 when reverted, 1 when the revert would change the past (e.g. a node the patch added has started), with the reasons. Workflow scope: the newest patch of a version line is reverted and the version it made retired, so the workflow's name starts the version before it again (runs already started on it go on).`;
  static override examples = ['<%= config.bin %> <%= command.id %> pch_…'];

  static override args = {
    patchId: Args.string({ description: 'The applied patch.', required: true }),
  };

  protected async perform(): Promise<number> {
    const backend = await this.backend();
    const { patch, revert } = await backend.revertPatch(this.args.patchId);
    const ok = patch.status === 'reverted';
    if (this.jsonMode) await outJson({ patch, ...(revert ? { revert } : {}) });
    else await out([...formatPatch(patch), ...(revert && !ok ? ['', ...formatPatch(revert)] : [])]);
    return ok ? ExitCode.Ok : ExitCode.Failed;
  }
}
