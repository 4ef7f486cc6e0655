import { Args, Flags } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { LocalBackend } from '../../lib/local-backend.js';
import { toRunJson } from '../../lib/json.js';
import { out, outJson } from '../../lib/output.js';
import { formatRunDetails } from '../../lib/render.js';
import { formatNodeDetails } from '../../lib/render-node.js';

export default class RunGet extends AobCommand<typeof RunGet> {
  static override summary = 'Show a run: status, output or error, and each node.';
  static override description =
    'With --node, show one node instead: its resolved input and output, its error, and each attempt. Values longer than a screen are cut, with a note; --full prints them whole (--json always does).';
  static override examples = [
    '<%= config.bin %> <%= command.id %> r_01J… --json',
    '<%= config.bin %> <%= command.id %> r_01J… --node classify',
    '<%= config.bin %> <%= command.id %> r_01J… --node classify --full',
  ];

  static override flags = {
    node: Flags.string({ description: 'Show this node of the run.' }),
    full: Flags.boolean({
      description: 'With --node: print input and output whole, however long.',
      dependsOn: ['node'],
    }),
  };

  static override args = {
    runId: Args.string({ description: 'The run to show.', required: true }),
  };

  protected async perform(): Promise<number> {
    const backend = await this.backend();
    if (this.flags.node !== undefined) {
      const detail = await backend.node(this.args.runId, this.flags.node);
      if (this.jsonMode) await outJson(detail);
      else await out(formatNodeDetails(detail, { full: this.flags.full }));
      return ExitCode.Ok;
    }
    const view = await backend.get(this.args.runId);
    if (this.jsonMode) await outJson(toRunJson(view));
    else {
      await out(formatRunDetails(view, Date.now()));
      if (backend instanceof LocalBackend && view.status === 'running') {
        if (!(await backend.engine.isDriven(view.runId))) {
          await out(
            `no process is driving this run (the one that did has stopped); continue it with: aob run resume ${view.runId}`,
          );
        }
      }
    }
    return ExitCode.Ok;
  }
}
