import type { ScheduleView } from '@aob/engine';
import type { Backend } from '../../lib/backend.js';
import { OneScheduleCommand } from '../../lib/schedule-command.js';

export default class ScheduleDelete extends OneScheduleCommand {
  static override summary = 'Delete a schedule (the runs it started stay).';
  static override examples = ['<%= config.bin %> <%= command.id %> sch_…'];

  protected act(backend: Backend, scheduleId: string) {
    return backend.deleteSchedule(scheduleId);
  }

  protected override headline(view: ScheduleView) {
    return `deleted schedule ${view.scheduleId}; it was:`;
  }
}
