import { Flags } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { out, outJson } from '../../lib/output.js';
import { table } from '../../lib/render.js';

export default class PatchList extends AobCommand<typeof PatchList> {
  static override summary = 'List patches proposed to runs.';
  static override examples = ['<%= config.bin %> <%= command.id %> --run run_… --json'];

  static override flags = {
    run: Flags.string({ description: 'Only the patches of this run.' }),
  };

  protected async perform(): Promise<number> {
    const engine = await this.engine();
    const patches = await engine.patches(this.flags.run ? { runId: this.flags.run } : {});
    if (this.jsonMode) {
      await outJson(
        patches.map((p) => ({
          patchId: p.patchId,
          runId: p.runId,
          status: p.status,
          author: p.author,
          violations: p.violations.length,
        })),
      );
    } else if (patches.length === 0) {
      await out('no patches');
    } else {
      await out(
        table(
          patches.map((p) => [p.patchId, p.status, p.runId, p.author, String(p.violations.length)]),
          ['PATCH', 'STATUS', 'RUN', 'AUTHOR', 'VIOLATIONS'],
        ),
      );
    }
    return ExitCode.Ok;
  }
}
