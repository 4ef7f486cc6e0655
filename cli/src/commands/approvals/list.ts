import { Flags } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { toApprovalsJson } from '../../lib/json.js';
import { out, outJson } from '../../lib/output.js';
import { formatApprovers, table } from '../../lib/render.js';

export default class ApprovalsList extends AobCommand<typeof ApprovalsList> {
  static override summary = 'List open approval tickets.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --all --json',
  ];

  static override flags = {
    all: Flags.boolean({ description: 'Include tickets already decided.', default: false }),
  };

  protected async perform(): Promise<number> {
    const backend = await this.backend();
    const tickets = await backend.approvals({ all: this.flags.all });
    if (this.jsonMode) {
      await outJson(toApprovalsJson(tickets));
    } else if (tickets.length === 0) {
      await out(this.flags.all ? 'no approval tickets' : 'no open approval tickets');
    } else {
      await out(
        table(
          tickets.map((t) => [t.ticketId, t.status, t.runId, t.nodeId, formatApprovers(t)]),
          ['TICKET', 'STATUS', 'RUN', 'NODE', 'APPROVERS'],
        ),
      );
    }
    return ExitCode.Ok;
  }
}
