import { Flags } from '@oclif/core';
import type { RunStatus } from '@aob/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { toRunListJson } from '../../lib/json.js';
import { out, outJson } from '../../lib/output.js';
import { table } from '../../lib/render.js';

const STATUSES = [
  'running',
  'waiting',
  'completed',
  'failed',
  'cancelled',
] as const satisfies readonly RunStatus[];

export default class RunList extends AobCommand<typeof RunList> {
  static override summary = 'List runs, newest first.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --status waiting',
    '<%= config.bin %> <%= command.id %> --status failed --status cancelled --limit 5 --json',
  ];

  static override flags = {
    status: Flags.option({
      description: 'Only runs with this status (repeatable).',
      options: STATUSES,
      multiple: true,
    })(),
    limit: Flags.integer({ description: 'At most this many runs.', min: 1, default: 50 }),
  };

  protected async perform(): Promise<number> {
    const backend = await this.backend();
    const opts: { status?: RunStatus[]; limit?: number } = { limit: this.flags.limit };
    if (this.flags.status && this.flags.status.length > 0) opts.status = [...this.flags.status];
    const runs = toRunListJson(await backend.list(opts));
    if (this.jsonMode) {
      await outJson(runs);
    } else if (runs.length === 0) {
      await out('no runs');
    } else {
      await out(
        table(
          runs.map((r) => [r.runId, r.status, r.startedAt, r.workflow]),
          ['RUN', 'STATUS', 'STARTED', 'WORKFLOW'],
        ),
      );
    }
    return ExitCode.Ok;
  }
}
