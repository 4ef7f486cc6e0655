import { Flags } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { out, outJson } from '../../lib/output.js';
import { table } from '../../lib/render.js';

export default class PatchList extends AobCommand<typeof PatchList> {
  static override summary = 'List patches proposed to workflows and runs.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --run run_… --json',
    '<%= config.bin %> <%= command.id %> --workflow ticket-triage',
  ];

  static override flags = {
    run: Flags.string({ description: 'Only the patches of this run.', exclusive: ['workflow'] }),
    workflow: Flags.string({ description: 'Only the patches of this workflow (by name).' }),
    status: Flags.string({
      description: 'Only patches with this status.',
      options: ['held', 'applied', 'rejected', 'reverted'],
    }),
  };

  protected async perform(): Promise<number> {
    const backend = await this.backend();
    const patches = (
      await backend.patches({
        ...(this.flags.run ? { runId: this.flags.run } : {}),
        ...(this.flags.workflow ? { workflow: this.flags.workflow } : {}),
      })
    ).filter((p) => this.flags.status === undefined || p.status === this.flags.status);
    if (this.jsonMode) {
      await outJson(
        patches.map((p) => ({
          patchId: p.patchId,
          scope: p.scope,
          target: p.target,
          status: p.status,
          ...(p.version ? { version: p.version } : {}),
          author: p.author,
          violations: p.violations.length,
        })),
      );
    } else if (patches.length === 0) {
      await out('no patches');
    } else {
      await out(
        table(
          patches.map((p) => [
            p.patchId,
            p.status,
            p.scope,
            p.version ? `${p.target} → ${p.version}` : p.target,
            p.author,
            String(p.violations.length),
          ]),
          ['PATCH', 'STATUS', 'SCOPE', 'TARGET', 'AUTHOR', 'VIOLATIONS'],
        ),
      );
    }
    return ExitCode.Ok;
  }
}
