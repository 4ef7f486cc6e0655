import { Flags } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { toApprovalsJson } from '../../lib/json.js';
import { out, outJson } from '../../lib/output.js';
import { formatApprovers, formatGlimpse, table } from '../../lib/render.js';

export default class ApprovalsList extends AobCommand<typeof ApprovalsList> {
  static override summary =
    'List open approval tickets, with their message and what is under review.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --all --json',
  ];

  static override flags = {
    all: Flags.boolean({ description: 'Include tickets already decided.', default: false }),
  };

  protected async perform(): Promise<number> {
    const backend = await this.backend();
    const listed = await backend.approvals({ all: this.flags.all });
    // What each ticket asks a person to judge: its approval node's input.
    const tickets = await Promise.all(
      listed.map(async (t) => ({ ...t, input: (await backend.node(t.runId, t.nodeId)).input })),
    );
    if (this.jsonMode) {
      await outJson(toApprovalsJson(tickets));
    } else if (tickets.length === 0) {
      await out(this.flags.all ? 'no approval tickets' : 'no open approval tickets');
    } else {
      await out(
        table(
          tickets.map((t) => [
            t.ticketId,
            t.status,
            t.runId,
            t.nodeId,
            formatApprovers(t),
            t.message ?? '',
            formatGlimpse(t.input, 60),
          ]),
          ['TICKET', 'STATUS', 'RUN', 'NODE', 'APPROVERS', 'MESSAGE', 'UNDER REVIEW'],
        ),
      );
    }
    return ExitCode.Ok;
  }
}
