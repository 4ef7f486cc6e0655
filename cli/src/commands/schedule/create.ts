import { Args, Flags } from '@oclif/core';
import type { CreateScheduleRequest } from '@aob/client';
import { AobCommand } from '../../lib/base.js';
import { badInput } from '../../lib/errors.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { readTextFile } from '../../lib/files.js';
import { buildInputs } from '../../lib/inputs.js';
import { out, outJson } from '../../lib/output.js';
import { scheduleText } from '../../lib/schedule-text.js';

export default class ScheduleCreate extends AobCommand<typeof ScheduleCreate> {
  static override summary = 'Create a schedule: runs of a registered workflow at ticks.';
  static override description = `Give exactly one of --cron (with --tz), --every, --at. Cron expressions are croner's: 5 fields, or 6 with seconds first, or 7 with years. Each tick starts one run (its id is derived from the schedule and the tick), started by \`aob dev\` or \`aob scheduler\` locally, by the orchestrators on a server. Everything is checked together: every problem is named (exit 2) and nothing is stored when there is one.`;
  static override examples = [
    "<%= config.bin %> <%= command.id %> report --cron '30 2 * * *' --tz Europe/Berlin --input team=ops",
    '<%= config.bin %> <%= command.id %> sync@3 --every 5m --overlap buffer_one --jitter 30s',
    '<%= config.bin %> <%= command.id %> launch --at 2026-01-01T09:00:00+01:00 --at 2026-02-01T09:00:00+01:00',
  ];

  static override args = {
    workflow: Args.string({
      description: 'A registered workflow: name (its newest version at each tick) or name@version.',
      required: true,
    }),
  };

  static override flags = {
    cron: Flags.string({ description: 'A cron expression, e.g. "0 9 * * 1-5".' }),
    tz: Flags.string({ description: 'The IANA time zone of --cron (default UTC).' }),
    every: Flags.string({ description: 'A fixed interval: 30s, 5m, 1h30m, 2d (at least 1s).' }),
    at: Flags.string({
      description: 'A time to run at (ISO 8601 with a zone). Repeatable.',
      multiple: true,
      multipleNonGreedy: true,
    }),
    inputs: Flags.string({ description: 'JSON file with the inputs every run gets.' }),
    input: Flags.string({
      description:
        'One input as key=value; the value is JSON when it parses, else a string. Repeatable; wins over --inputs.',
      multiple: true,
      multipleNonGreedy: true,
    }),
    overlap: Flags.string({
      description:
        'When a tick comes while the previous run is still going: skip (default), buffer_one, allow, cancel_previous.',
    }),
    'catchup-window': Flags.string({
      description:
        'Ticks missed while no scheduler ran are started when at most this old (default 1h).',
    }),
    jitter: Flags.string({ description: "Start each tick's run up to this long after the tick." }),
    start: Flags.string({ description: 'No tick before this time (ISO 8601 with a zone).' }),
    end: Flags.string({ description: 'No tick at or after this time (ISO 8601 with a zone).' }),
    paused: Flags.boolean({ description: 'Create it paused.', default: false }),
    note: Flags.string({ description: 'A note kept with the schedule.' }),
  };

  protected async perform(): Promise<number> {
    const { args, flags } = this;
    const file = flags.inputs
      ? { path: flags.inputs, text: await readTextFile(flags.inputs, '--inputs') }
      : undefined;
    const { inputs, problems } = buildInputs(file, flags.input ?? []);
    if (problems.length > 0) {
      throw badInput('BAD_INPUT', `invalid inputs: ${problems.length} problem(s)`, problems);
    }
    const req: CreateScheduleRequest = {
      workflow: args.workflow,
      inputs: inputs ?? {},
      ...(flags.cron !== undefined ? { cron: flags.cron } : {}),
      ...(flags.tz !== undefined ? { timezone: flags.tz } : {}),
      ...(flags.every !== undefined ? { every: flags.every } : {}),
      ...(flags.at !== undefined ? { at: flags.at } : {}),
      ...(flags.overlap !== undefined
        ? { overlap: flags.overlap as CreateScheduleRequest['overlap'] }
        : {}),
      ...(flags['catchup-window'] !== undefined ? { catchupWindow: flags['catchup-window'] } : {}),
      ...(flags.jitter !== undefined ? { jitter: flags.jitter } : {}),
      ...(flags.start !== undefined ? { start: flags.start } : {}),
      ...(flags.end !== undefined ? { end: flags.end } : {}),
      ...(flags.paused ? { paused: true } : {}),
      ...(flags.note !== undefined ? { note: flags.note } : {}),
    };
    const view = await (await this.backend()).createSchedule(req);
    if (this.jsonMode) await outJson(view);
    else await out(scheduleText(view));
    return ExitCode.Ok;
  }
}
