import { Args, Flags } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { toRunJson } from '../../lib/json.js';
import { err, out, outJson } from '../../lib/output.js';
import { formatRunSummary } from '../../lib/render.js';

/** How long to wait for the process that drives the run to apply the cancellation. */
const SETTLE_MS = 5_000;

export default class RunCancel extends AobCommand<typeof RunCancel> {
  static override summary = 'Cancel a run.';
  static override description = `Exit 0 once the run is cancelled; 4 if the process driving it has not applied the cancellation within a few seconds (it will); 2 if the run is unknown or already over.`;
  static override examples = ['<%= config.bin %> <%= command.id %> r_01J… --reason "wrong inputs"'];

  static override args = {
    runId: Args.string({ description: 'The run to cancel.', required: true }),
  };

  static override flags = {
    reason: Flags.string({ description: 'Why; recorded in the run log.' }),
  };

  protected async perform(): Promise<number> {
    const backend = await this.backend();
    await backend.cancel(this.args.runId, this.flags.reason);
    const view = await backend.wait(this.args.runId, { timeoutMs: SETTLE_MS });
    const code =
      view.status === 'cancelled'
        ? ExitCode.Ok
        : view.status === 'running' || view.status === 'waiting'
          ? ExitCode.StillWaiting
          : ExitCode.Failed;
    if (this.jsonMode) {
      await outJson(toRunJson(view));
    } else {
      await out(formatRunSummary(view));
      if (code === ExitCode.StillWaiting)
        await err('cancellation requested; the process driving the run has not applied it yet');
    }
    return code;
  }
}
