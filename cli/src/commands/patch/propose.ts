import { Args, Flags } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { readJsonFile } from '../../lib/files.js';
import { out, outJson } from '../../lib/output.js';
import { formatPatch } from '../../lib/patches.js';

export default class PatchPropose extends AobCommand<typeof PatchPropose> {
  static override summary = 'Propose a JSON-Patch overlay to a running run.';
  static override description = `The file is an RFC 6902 document: an array of operations on the run's materialised definition (or a whole patch document). The validator checks it against the run as it is now; exit 0 when applied, 1 when rejected (every violation listed), 4 when the process driving the run has not decided it yet.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> run_… add-audit.json --rationale "audit trail"',
  ];

  static override args = {
    runId: Args.string({ description: 'The run to patch.', required: true }),
    file: Args.string({
      description: 'The patch: a JSON array of RFC 6902 operations.',
      required: true,
    }),
  };

  static override flags = {
    rationale: Flags.string({ description: 'Why; recorded with the patch.' }),
    author: Flags.string({ description: 'Who proposes it (default: $USER).' }),
  };

  protected async perform(): Promise<number> {
    const ops = await readJsonFile(this.args.file, 'patch file');
    const engine = await this.engine();
    const patch = await engine.proposePatch(this.args.runId, ops, {
      author: this.flags.author ?? this.defaultActor(),
      ...(this.flags.rationale !== undefined ? { rationale: this.flags.rationale } : {}),
    });
    const shown = patch.status === 'applied' ? await engine.patch(patch.patchId) : { patch };
    if (this.jsonMode)
      await outJson({ ...shown.patch, ...(shown.diff ? { diff: shown.diff } : {}) });
    else await out(formatPatch(shown.patch, shown.diff));
    return patch.status === 'applied' ? ExitCode.Ok : ExitCode.Failed;
  }
}
