import { Args, Flags } from '@oclif/core';
import { DrivingCommand } from '../lib/driving.js';
import { engineFlags } from '../lib/flags.js';

export default class Approve extends DrivingCommand<typeof Approve> {
  static override summary = 'Decide an approval ticket.';
  static override description = `Records the decision on the ticket. When no live process drives the run, this command drives it until it is over or waits on a person again, and exits as run start does (0 completed, 1 failed or cancelled, 4 waiting); otherwise (and always on a server, where the cluster carries the run on) it exits 0 once the decision is recorded.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> t_01J… approve',
    '<%= config.bin %> <%= command.id %> t_01J… reject --reason "refund too large" --by alice',
  ];

  static override args = {
    ticketId: Args.string({ description: 'The ticket to decide.', required: true }),
    decision: Args.string({
      description: 'approve or reject.',
      required: true,
      options: ['approve', 'reject'],
    }),
  };

  static override flags = {
    reason: Flags.string({ description: 'Why; recorded with the decision.' }),
    by: Flags.string({
      description: 'Who decides (default: $USER). Local only: a server takes it from the token.',
    }),
    ...engineFlags,
  };

  protected async perform(): Promise<number> {
    const { args, flags } = this;
    const decision = args.decision === 'reject' ? 'rejected' : 'approved';
    const backend = await this.backend({
      handlers: flags.handlers,
      allowPrivateNetwork: flags['allow-private-network'],
    });
    this.attachTimeline(backend);
    const { runId, drivenHere, by } = await backend.approve(args.ticketId, decision, {
      ...(flags.by !== undefined ? { by: flags.by } : {}),
      ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
    });
    const head = `ticket ${args.ticketId} ${decision} by ${by}`;
    return this.carryOn(backend, { runId, drivenHere }, head, {
      ...this.decisionJson(decision, by),
      runId,
      drivenHere,
    });
  }

  private decisionJson(decision: string, by: string): Record<string, unknown> {
    return {
      ticketId: this.args.ticketId,
      decision,
      by,
      ...(this.flags.reason !== undefined && { reason: this.flags.reason }),
    };
  }
}
