import { Flags } from '@oclif/core';
import type { Backend } from '../../lib/backend.js';
import { OneScheduleCommand } from '../../lib/schedule-command.js';

export default class SchedulePause extends OneScheduleCommand {
  static override summary = 'Pause a schedule: no tick starts until it is resumed.';
  static override description =
    'Ticks that come while it is paused are not started later (they are not missed: they were paused).';
  static override examples = [
    '<%= config.bin %> <%= command.id %> sch_… --note "quarter close: no reports"',
  ];
  static override flags = {
    note: Flags.string({ description: 'Why; kept with the schedule until it is resumed.' }),
  };

  protected act(backend: Backend, scheduleId: string) {
    return backend.pauseSchedule(scheduleId, (this.flags as { note?: string }).note);
  }
}
