import { Args, Flags } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { readJsonFile } from '../../lib/files.js';
import { out, outJson } from '../../lib/output.js';
import { formatPatch, verdictExit } from '../../lib/patches.js';

export default class PatchPropose extends AobCommand<typeof PatchPropose> {
  static override summary = 'Propose a JSON-Patch overlay to a running run or to a workflow.';
  static override description = `The file is an RFC 6902 document: an array of operations on the materialised definition (or a whole patch document). To a run (scope run), the validator checks it against the run as it is now. To a registered workflow (scope workflow), an applied patch registers the next version of it, <version>.p<n>, which runs can be started on.

Exit 0 when applied; 1 when rejected (every violation listed); 4 when held for a reviewer (aob patch approve|reject) or when the process driving the run has not decided it yet.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> run_… add-audit.json --rationale "audit trail"',
    '<%= config.bin %> <%= command.id %> ticket-triage add-audit.json --json',
  ];

  static override args = {
    target: Args.string({
      description: 'The run id, or the registered workflow name[@version], to patch.',
      required: true,
    }),
    file: Args.string({
      description: 'The patch: a JSON array of RFC 6902 operations.',
      required: true,
    }),
  };

  static override flags = {
    rationale: Flags.string({ description: 'Why; recorded with the patch.' }),
    author: Flags.string({
      description:
        'Who proposes it (default: $USER). Local only: a server takes it from the token.',
    }),
  };

  protected async perform(): Promise<number> {
    const ops = await readJsonFile(this.args.file, 'patch file');
    const backend = await this.backend();
    const patch = await backend.proposePatch(this.args.target, ops, {
      ...(this.flags.author !== undefined ? { author: this.flags.author } : {}),
      ...(this.flags.rationale !== undefined ? { rationale: this.flags.rationale } : {}),
    });
    const shown = patch.status === 'applied' ? await backend.patch(patch.patchId) : { patch };
    if (this.jsonMode)
      await outJson({ ...shown.patch, ...(shown.diff ? { diff: shown.diff } : {}) });
    else await out(formatPatch(shown.patch, shown.diff));
    return verdictExit(patch.status);
  }
}
