import { Args } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { engineFlags } from '../../lib/flags.js';
import { out, outJson } from '../../lib/output.js';
import { scheduledRunsText } from '../../lib/schedule-text.js';

export default class ScheduleTrigger extends AobCommand<typeof ScheduleTrigger> {
  static override summary = 'Start a run of a schedule now, whatever its overlap policy.';
  static override description =
    'The run records the schedule with reason `trigger`. Locally this process drives the run until it ends or waits on a person.';
  static override examples = ['<%= config.bin %> <%= command.id %> sch_… --json'];
  static override args = {
    scheduleId: Args.string({ description: 'The schedule (sch_…).', required: true }),
  };
  static override flags = { ...engineFlags };

  protected async perform(): Promise<number> {
    const backend = await this.backend({
      handlers: this.flags.handlers,
      allowPrivateNetwork: this.flags['allow-private-network'],
    });
    const run = await backend.triggerSchedule(this.args.scheduleId);
    if (this.jsonMode) await outJson(run);
    else await out(scheduledRunsText([run]));
    return ExitCode.Ok;
  }
}
