import { Args, Flags } from '@oclif/core';
import { AobCommand } from '../../lib/base.js';
import { badInput } from '../../lib/errors.js';
import { ExitCode } from '../../lib/exit-codes.js';
import { toApprovalsJson } from '../../lib/json.js';
import { out, outJson } from '../../lib/output.js';
import { formatApprovers } from '../../lib/render.js';

export default class ApprovalsReassign extends AobCommand<typeof ApprovalsReassign> {
  static override summary = 'Give an open approval ticket to other approvers (server mode, admin).';
  static override description = `Replaces the approvers of an open ticket (people or groups, as the workflow names them); the reassignment is recorded in the run log with who made it. Needs a server (AOB_SERVER, AOB_TOKEN) and an admin token. Exit 0 when reassigned, 2 when the ticket is unknown or already decided.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> t_01J… --to alice,group:finance --reason "bob is away"',
  ];

  static override args = {
    ticketId: Args.string({ description: 'The open ticket.', required: true }),
  };

  static override flags = {
    to: Flags.string({
      description: 'Comma-separated approvers who may decide the ticket from now on.',
      required: true,
    }),
    reason: Flags.string({ description: 'Why; recorded with the reassignment.' }),
  };

  protected async perform(): Promise<number> {
    const approvers = this.flags.to
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== '');
    if (approvers.length === 0) {
      throw badInput('BAD_FLAG', '--to names no approver', [
        { code: 'REQUIRED', path: '--to', message: 'at least one approver' },
      ]);
    }
    const backend = await this.backend();
    const ticket = await backend.reassign(this.args.ticketId, approvers, this.flags.reason);
    if (this.jsonMode) await outJson(toApprovalsJson([ticket])[0]);
    else
      await out(
        `ticket ${ticket.ticketId} (run ${ticket.runId}, node ${ticket.nodeId}) now waits on ${formatApprovers(ticket)}`,
      );
    return ExitCode.Ok;
  }
}
