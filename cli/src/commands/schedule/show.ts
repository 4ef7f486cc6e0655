import type { Backend } from '../../lib/backend.js';
import { OneScheduleCommand } from '../../lib/schedule-command.js';

export default class ScheduleShow extends OneScheduleCommand {
  static override summary =
    'Show a schedule: timing, policy, next tick, last started run, counts of ticks.';
  static override examples = ['<%= config.bin %> <%= command.id %> sch_… --json'];

  protected act(backend: Backend, scheduleId: string) {
    return backend.getSchedule(scheduleId);
  }
}
