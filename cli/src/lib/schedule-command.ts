// The schedule commands that take one schedule id and print the schedule they get back (show,
// pause, resume, delete): one class, each command saying only what it asks the backend.
import { Args } from '@oclif/core';
import type { ScheduleView } from '@aob/engine';
import type { Backend } from './backend.js';
import { AobCommand } from './base.js';
import { ExitCode } from './exit-codes.js';
import { out, outJson } from './output.js';
import { scheduleText } from './schedule-text.js';

export abstract class OneScheduleCommand extends AobCommand<typeof OneScheduleCommand> {
  static override args = {
    scheduleId: Args.string({ description: 'The schedule (sch_…).', required: true }),
  };

  /** What the command does to the schedule; resolves with the schedule to print. */
  protected abstract act(backend: Backend, scheduleId: string): Promise<ScheduleView>;

  /** A line to print before the schedule (text mode). */
  protected headline(_view: ScheduleView): string | undefined {
    return undefined;
  }

  protected async perform(): Promise<number> {
    const view = await this.act(await this.backend(), this.args.scheduleId);
    if (this.jsonMode) {
      await outJson(view);
    } else {
      const head = this.headline(view);
      await out([...(head ? [head] : []), ...scheduleText(view)]);
    }
    return ExitCode.Ok;
  }
}
