import { Args } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { out, outJson } from '../../lib/output.js';
import { formatPatch } from '../../lib/patches.js';

export default class PatchShow extends AobCommand<typeof PatchShow> {
  static override summary =
    'Show a patch: its operations, author, verdict with every violation, and the graph diff.';
  static override examples = ['<%= config.bin %> <%= command.id %> pch_… --json'];

  static override args = {
    patchId: Args.string({ description: 'The patch.', required: true }),
  };

  protected async perform(): Promise<number> {
    const backend = await this.backend();
    const { patch, diff } = await backend.patch(this.args.patchId);
    if (this.jsonMode) await outJson({ ...patch, ...(diff ? { diff } : {}) });
    else await out(formatPatch(patch, diff));
    return ExitCode.Ok;
  }
}
