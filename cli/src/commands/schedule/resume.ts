import { Flags } from '@oclif/core';
import type { Backend } from '../../lib/backend.js';
import { OneScheduleCommand } from '../../lib/schedule-command.js';

export default class ScheduleResume extends OneScheduleCommand {
  static override summary = 'Resume a paused schedule from now on.';
  static override examples = ['<%= config.bin %> <%= command.id %> sch_…'];
  static override flags = {
    note: Flags.string({ description: 'A note kept with the schedule.' }),
  };

  protected act(backend: Backend, scheduleId: string) {
    return backend.resumeSchedule(scheduleId, (this.flags as { note?: string }).note);
  }
}
