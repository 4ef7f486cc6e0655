import { Args, Flags } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { engineFlags } from '../../lib/flags.js';
import { out, outJson } from '../../lib/output.js';
import { scheduledRunsText } from '../../lib/schedule-text.js';

export default class ScheduleBackfill extends AobCommand<typeof ScheduleBackfill> {
  static override summary = "Start a schedule's ticks in a past range [from, to).";
  static override description =
    "Each tick's run has the tick's own id, so a tick whose run was started (on time, or by an earlier backfill) is not started again. The overlap policy does not apply; at most 1000 ticks. Locally this process drives the runs until they settle.";
  static override examples = [
    '<%= config.bin %> <%= command.id %> sch_… --from 2026-03-01T00:00:00Z --to 2026-03-08T00:00:00Z',
  ];
  static override args = {
    scheduleId: Args.string({ description: 'The schedule (sch_…).', required: true }),
  };
  static override flags = {
    from: Flags.string({ description: 'The first time (ISO 8601 with a zone).', required: true }),
    to: Flags.string({
      description: 'The end, not included (ISO 8601 with a zone, in the past).',
      required: true,
    }),
    ...engineFlags,
  };

  protected async perform(): Promise<number> {
    const backend = await this.backend({
      handlers: this.flags.handlers,
      allowPrivateNetwork: this.flags['allow-private-network'],
    });
    const runs = await backend.backfillSchedule(this.args.scheduleId, {
      from: this.flags.from,
      to: this.flags.to,
    });
    if (this.jsonMode) await outJson(runs);
    else await out(scheduledRunsText(runs));
    return ExitCode.Ok;
  }
}
