import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { out, outJson } from '../../lib/output.js';
import { scheduleTable } from '../../lib/schedule-text.js';

export default class ScheduleList extends AobCommand<typeof ScheduleList> {
  static override summary = 'List schedules with their next ticks, newest first.';
  static override examples = ['<%= config.bin %> <%= command.id %> --json'];

  protected async perform(): Promise<number> {
    const items = await (await this.backend()).listSchedules();
    if (this.jsonMode) await outJson(items);
    else await out(items.length === 0 ? 'no schedules' : scheduleTable(items));
    return ExitCode.Ok;
  }
}
