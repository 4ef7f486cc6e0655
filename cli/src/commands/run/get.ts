import { Args } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { LocalBackend } from '../../lib/local-backend.js';
import { toRunJson } from '../../lib/json.js';
import { out, outJson } from '../../lib/output.js';
import { formatRunDetails } from '../../lib/render.js';

export default class RunGet extends AobCommand<typeof RunGet> {
  static override summary = 'Show a run: status, output or error, and each node.';
  static override examples = ['<%= config.bin %> <%= command.id %> r_01J… --json'];

  static override args = {
    runId: Args.string({ description: 'The run to show.', required: true }),
  };

  protected async perform(): Promise<number> {
    const backend = await this.backend();
    const view = await backend.get(this.args.runId);
    if (this.jsonMode) await outJson(toRunJson(view));
    else {
      await out(formatRunDetails(view, Date.now()));
      if (backend instanceof LocalBackend && view.status === 'running') {
        const lease = await backend.engine.store.getLease(view.runId);
        if (!lease || lease.expiresAt < Date.now()) {
          await out(
            `no process is driving this run (the one that did has stopped); continue it with: aob run resume ${view.runId}`,
          );
        }
      }
    }
    return ExitCode.Ok;
  }
}
